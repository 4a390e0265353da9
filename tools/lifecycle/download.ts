import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { BundleRefused } from './release.js';

export interface DownloadOptions {
  readonly url: string;
  /** the finished file; `<file>.part` (and `.part.url`) hold an interrupted download */
  readonly file: string;
  readonly maxBytes: number;
  /** attempts, each resuming where the last stopped (HTTP Range) */
  readonly attempts?: number;
  /** no byte for this long ends an attempt, ms */
  readonly idleTimeoutMs?: number;
  readonly onProgress?: (have: number, total: number | undefined) => void;
}

export interface DownloadResult {
  readonly bytes: number;
  readonly resumedFrom: number;
  readonly attempts: number;
}

function request(url: string, from: number, idleMs: number): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const get = url.startsWith('https:') ? httpsGet : httpGet;
    const req = get(url, { headers: from > 0 ? { Range: `bytes=${from}-` } : {}, timeout: idleMs }, resolve);
    req.on('timeout', () => req.destroy(new Error(`no answer within ${idleMs} ms`)));
    req.on('error', reject);
  });
}

/**
 * Fetch a bundle over HTTP(S) with resume: bytes already in `<file>.part` (from an attempt a
 * dropped connection or a power cut ended) are asked for no more (Range: bytes=N-); a server
 * that ignores Range answers 200 and the download starts over. Never more than maxBytes,
 * whatever the server claims. The finished file is renamed into place.
 */
export async function download(o: DownloadOptions): Promise<DownloadResult> {
  if (!/^https?:\/\//.test(o.url)) throw new BundleRefused('download', `${o.url}: only http:// and https:// URLs`);
  const part = `${o.file}.part`;
  const marker = `${part}.url`;
  // a partial file of another URL is not ours to resume
  if (existsSync(part) && (!existsSync(marker) || readFileSync(marker, 'utf8') !== o.url)) rmSync(part, { force: true });
  writeFileSync(marker, o.url);
  const startedWith = existsSync(part) ? statSync(part).size : 0;
  const attempts = o.attempts ?? 5;
  let lastError = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const have = existsSync(part) ? statSync(part).size : 0;
    try {
      const res = await request(o.url, have, o.idleTimeoutMs ?? 30_000);
      let offset = have;
      if (res.statusCode === 416) {
        // asked past the end: what we hold is stale; start over
        res.resume();
        rmSync(part, { force: true });
        lastError = 'HTTP 416 on resume';
        continue;
      }
      if (res.statusCode === 200) offset = 0;
      else if (res.statusCode !== 206) {
        res.resume();
        throw new BundleRefused('download', `${o.url}: HTTP ${res.statusCode}`);
      }
      const range = /\/(\d+)$/.exec(res.headers['content-range'] ?? '');
      const total = range ? Number(range[1]) : res.headers['content-length'] ? offset + Number(res.headers['content-length']) : undefined;
      if (total !== undefined && total > o.maxBytes) {
        res.destroy();
        throw new BundleRefused('size', `${o.url}: ${total} bytes, over the limit of ${o.maxBytes}`);
      }
      const fd = openSync(part, offset === 0 ? 'w' : 'a');
      let got = offset;
      try {
        await new Promise<void>((resolve, reject) => {
          res.on('data', (c: Buffer) => {
            got += c.length;
            if (got > o.maxBytes) {
              // refuse first: destroying the response emits 'aborted' at once
              reject(new BundleRefused('size', `${o.url}: more than ${o.maxBytes} bytes`));
              res.destroy();
              return;
            }
            writeSync(fd, c);
            o.onProgress?.(got, total);
          });
          res.on('end', () => (res.complete ? resolve() : reject(new Error('connection closed before the end of the body'))));
          res.on('aborted', () => reject(new Error('connection aborted')));
          res.on('error', reject);
        });
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      if (total !== undefined && got < total) throw new Error(`got ${got} of ${total} bytes`);
      renameSync(part, o.file);
      rmSync(marker, { force: true });
      return { bytes: got, resumedFrom: startedWith, attempts: attempt };
    } catch (e) {
      if (e instanceof BundleRefused) throw e;
      lastError = (e as Error).message;
      await new Promise((r) => setTimeout(r, Math.min(5000, 200 * 2 ** attempt)));
    }
  }
  const kept = existsSync(part) ? statSync(part).size : 0;
  throw new BundleRefused('download', `${o.url}: incomplete after ${attempts} attempts (${lastError}); ${kept} bytes kept for the next try`);
}
