import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';

/** Headers every reply carries: no framing, no sniffing, scripts and styles from the box only. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendError(res: ServerResponse, status: number, error: string, headers: Readonly<Record<string, string>> = {}): void {
  sendJson(res, status, { ok: false, error }, headers);
}

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/**
 * A Host header the box answers to: an IP literal, "localhost", or the configured host, with an
 * optional port. Any other name is refused (DNS rebinding: a page on evil.example resolving to
 * the box's address must not reach it).
 */
export function acceptableHost(host: string | undefined, configured: string): boolean {
  if (!host || host.length > 300) return false;
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(:\d{1,5})?$/.exec(host);
  if (!m) return false;
  const name = (m[1] as string).replace(/^\[|\]$/g, '');
  return isIP(name) !== 0 || name === 'localhost' || name === configured;
}

/** Cookie value by name from a Cookie header (bounded: the header size is capped by the server). */
export function cookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

export class BodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A small JSON object body: refused past `max` bytes (413) or when it is not a JSON object (400). */
export function readJsonBody(req: IncomingMessage, max: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const type = req.headers['content-type'] ?? '';
    if (!/^application\/json\b/i.test(type)) {
      reject(new BodyError(415, 'send a JSON body (content-type: application/json)'));
      req.resume();
      return;
    }
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > max) {
      reject(new BodyError(413, `request body larger than ${max} bytes`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > max) {
        failed = true;
        reject(new BodyError(413, `request body larger than ${max} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (failed) return;
      try {
        const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
        if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
        resolve(v as Record<string, unknown>);
      } catch (e) {
        reject(new BodyError(400, `body is not a JSON object (${(e as Error).message})`));
      }
    });
    req.on('error', (e) => {
      if (!failed) reject(new BodyError(400, e.message));
      failed = true;
    });
  });
}
