import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { FAULTS, type FaultCode } from '../diagnostics/catalog.js';
import { type Translation, faultText, loadLanguages, pickLanguage } from '../diagnostics/i18n/index.js';
import { ACTIONS, type ActionName, SiteActions } from './actions.js';
import { Sessions, checkPassphrase, passphraseIsSet } from './auth.js';
import { BodyError, SECURITY_HEADERS, acceptableHost, cookie, isLoopback, readJsonBody, sendError, sendJson } from './http-util.js';
import { type SiteSnapshot, type SiteSource, SiteState } from './state.js';
import { streamSupportBundle } from './bundle-route.js';

export interface SiteServerConfig {
  readonly host: string;
  readonly port: number;
  readonly maxConnections: number;
  readonly sessionTtl: number;
}

/** Limits: what one request may cost the box. */
export const LIMITS = {
  maxHeaderBytes: 8192,
  maxHeaders: 40,
  headersTimeoutMs: 5000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5000,
  maxBodyBytes: 2048,
  maxEventStreams: 8,
  /** an event-stream client that has not read this much is dropped (a stalled phone, a hostile reader) */
  maxUnreadBytes: 256 * 1024,
  pushIntervalMs: 2000,
  snapshotMaxAgeMs: 1000,
} as const;

const COOKIE = 'edgefw_site';
const TYPES: Readonly<Record<string, string>> = { '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon' };

/** The page's files: next to this module in the source tree, or found from dist/ (no copy step). */
export function staticDir(): string {
  for (const rel of ['./static/', '../../../firmware/site/static/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  throw new Error('the technician page files (firmware/site/static) are missing from this installation');
}

export interface SiteServerStats {
  requests: number;
  refused: Record<number, number>;
  clientErrors: number;
  eventStreams: number;
  pushes: number;
  droppedStreams: number;
}

/**
 * The on-site technician page, on the sampling thread, with every request bounded: headers
 * (size, count, time), bodies (2 KiB), connections (site.http.maxConnections), event streams
 * (8, each dropped when it stops reading). The state all clients see is one cached snapshot built
 * at most once a second; files are served from memory. docs/architecture.md says why this is not
 * a worker thread, with the bench figures.
 */
export class SiteServer {
  readonly stats: SiteServerStats = { requests: 0, refused: {}, clientErrors: 0, eventStreams: 0, pushes: 0, droppedStreams: 0 };
  readonly state: SiteState;
  readonly actions: SiteActions;
  private readonly sessions: Sessions;
  private readonly files = new Map<string, { body: Buffer; type: string }>();
  private readonly streams = new Set<ServerResponse>();
  private readonly sockets = new Set<Socket>();
  private languages: readonly Translation[] = [];
  private readonly i18nCache = new Map<string, string>();
  private server: Server | undefined;
  /** the port listened on (site.http.port, or the one the system chose for port 0) */
  port = 0;
  private cached: { at: number; json: string; snap: SiteSnapshot } | undefined;
  private pushTask: { cancel(): void } | undefined;
  private pushSoon = false;
  private readonly log: Logger;

  constructor(
    private readonly src: SiteSource,
    private readonly config: SiteServerConfig,
    log: Logger,
  ) {
    this.log = log.child({ module: 'site' });
    this.state = new SiteState(src);
    this.actions = new SiteActions(src, this.log);
    this.sessions = new Sessions(() => src.scheduler.now(), config.sessionTtl);
  }

  async start(): Promise<number> {
    this.languages = await loadLanguages();
    const dir = staticDir();
    for (const f of readdirSync(dir)) {
      const type = TYPES[extname(f)];
      if (type) this.files.set(f, { body: readFileSync(join(dir, f)), type });
    }
    const server = createServer({
      maxHeaderSize: LIMITS.maxHeaderBytes,
      headersTimeout: LIMITS.headersTimeoutMs,
      requestTimeout: LIMITS.requestTimeoutMs,
      keepAliveTimeout: LIMITS.keepAliveTimeoutMs,
      connectionsCheckingInterval: 1000,
    });
    server.maxHeadersCount = LIMITS.maxHeaders;
    server.maxConnections = this.config.maxConnections;
    server.maxRequestsPerSocket = 100;
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
      this.stats.clientErrors++;
      if (!socket.writable || (err as { bytesParsed?: number }).bytesParsed === 0 && err.code === 'ECONNRESET') {
        socket.destroy();
        return;
      }
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
      const reason = status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request';
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    });
    server.on('request', (req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.port, this.config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.state.start();
    this.pushTask = this.src.scheduler.every('site-push', LIMITS.pushIntervalMs, () => this.push());
    this.src.faults.onEvent(() => {
      // a fault change reaches open pages on the next turn of the loop, not at the next push
      if (this.pushSoon || this.streams.size === 0) return;
      this.pushSoon = true;
      this.src.scheduler.after(0, () => {
        this.pushSoon = false;
        this.cached = undefined;
        this.push();
      });
    });
    const port = (server.address() as AddressInfo).port;
    this.port = port;
    this.log.info({ url: `http://${this.config.host.includes(':') ? `[${this.config.host}]` : this.config.host}:${port}/` }, 'technician page listening');
    return port;
  }

  async stop(): Promise<void> {
    this.pushTask?.cancel();
    this.state.stop();
    for (const s of this.streams) s.end();
    this.streams.clear();
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
  }

  private snapshot(): { json: string; snap: SiteSnapshot } {
    const now = this.src.scheduler.now();
    if (!this.cached || now - this.cached.at >= LIMITS.snapshotMaxAgeMs) {
      const snap = this.state.snapshot(this.src.diagnostics()?.latestHealth());
      this.cached = { at: now, json: JSON.stringify(snap), snap };
    }
    return this.cached;
  }

  private push(): void {
    if (this.streams.size === 0) return;
    const frame = `event: state\ndata: ${this.snapshot().json}\n\n`;
    this.stats.pushes++;
    for (const res of this.streams) {
      if (res.writableLength > LIMITS.maxUnreadBytes) {
        this.stats.droppedStreams++;
        this.streams.delete(res);
        res.destroy();
        continue;
      }
      res.write(frame);
    }
  }

  private refuse(res: ServerResponse, status: number, error: string, headers: Readonly<Record<string, string>> = {}): void {
    this.stats.refused[status] = (this.stats.refused[status] ?? 0) + 1;
    sendError(res, status, error, headers);
  }

  private language(req: IncomingMessage, url: URL): Translation {
    return pickLanguage(this.languages, url.searchParams.get('lang') ?? cookie(req, 'edgefw_lang'), req.headers['accept-language']);
  }

  private i18n(t: Translation): string {
    let json = this.i18nCache.get(t.lang);
    if (!json) {
      const faults: Record<string, unknown> = {};
      for (const code of Object.keys(FAULTS) as FaultCode[]) faults[code] = faultText(t, code);
      json = JSON.stringify({ lang: t.lang, name: t.name, languages: this.languages.map((l) => ({ lang: l.lang, name: l.name })), page: t.page, faults });
      this.i18nCache.set(t.lang, json);
    }
    return json;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.stats.requests++;
    res.on('error', () => res.destroy());
    if (!acceptableHost(req.headers.host, this.config.host)) return this.refuse(res, 421, 'unknown Host: open the page by the box address');
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://box');
    } catch {
      return this.refuse(res, 400, 'bad request target');
    }
    const client = req.socket.remoteAddress ?? '?';
    const session = this.sessions.get(cookie(req, COOKIE));
    const mayRead = isLoopback(client) || session !== undefined;
    const path = url.pathname;
    try {
      if (req.method === 'GET' || req.method === 'HEAD') {
        if (path === '/' || path === '/index.html') return this.file(res, 'index.html');
        if (path.startsWith('/static/')) return this.file(res, path.slice('/static/'.length));
        if (path === '/api/i18n') {
          const body = this.i18n(this.language(req, url));
          res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
          return void res.end(body);
        }
        if (path === '/api/session') {
          return sendJson(res, 200, { loggedIn: !!session, who: session?.who, csrf: session?.csrf, passphraseSet: passphraseIsSet(this.src.profile.storage.dir), mayRead, busy: this.actions.busy ?? null });
        }
        if (!mayRead) return this.refuse(res, 401, 'log in to see this box from another machine');
        if (path === '/api/state') {
          const { json } = this.snapshot();
          res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(json) });
          return void res.end(json);
        }
        if (path === '/events') return this.events(res);
        if (path === '/api/actions/log') {
          if (!session) return this.refuse(res, 401, 'log in first');
          return sendJson(res, 200, { entries: this.actions.recent() });
        }
        if (path === '/api/support-bundle') {
          if (!session) return this.refuse(res, 401, 'log in first');
          await streamSupportBundle(this.src, res, { who: session.who, client }, this.log);
          return this.actions.record({ t: new Date(this.src.clock.wallMs()).toISOString(), who: session.who, client, action: 'support-bundle', args: {}, outcome: 'downloaded' });
        }
        return this.refuse(res, 404, 'not found');
      }
      if (req.method !== 'POST') return this.refuse(res, 405, 'method not allowed', { allow: 'GET, HEAD, POST' });
      // state-changing requests: same-origin only (CSRF), small JSON bodies
      const origin = req.headers.origin;
      if (origin !== `http://${req.headers.host ?? ''}`) return this.refuse(res, 403, 'cross-site request refused (Origin does not match this box)');
      const body = await readJsonBody(req, LIMITS.maxBodyBytes);
      if (path === '/api/login') return await this.login(res, body, client);
      if (path === '/api/logout') {
        this.sessions.end(cookie(req, COOKIE));
        return sendJson(res, 200, { ok: true }, { 'set-cookie': `${COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0` });
      }
      const m = /^\/api\/actions\/([a-z0-9-]+)$/.exec(path);
      if (m) {
        if (!session) return this.refuse(res, 401, 'log in first: actions need a technician session');
        if (req.headers['x-csrf-token'] !== session.csrf) return this.refuse(res, 403, 'missing or wrong CSRF token: reload the page');
        const name = m[1] as ActionName;
        if (!ACTIONS.includes(name)) return this.refuse(res, 404, `no action "${name}"`);
        const r = await this.actions.run(name, body, { who: session.who, client });
        if (!r.ok) return this.refuse(res, r.status, r.error);
        return sendJson(res, 200, r);
      }
      return this.refuse(res, 404, 'not found');
    } catch (e) {
      if (res.headersSent) return void res.destroy();
      if (e instanceof BodyError) return this.refuse(res, e.status, e.message, { connection: 'close' });
      this.log.error({ err: e, path }, 'site request failed');
      return this.refuse(res, 500, 'internal error');
    }
  }

  private file(res: ServerResponse, name: string): void {
    const f = this.files.get(name);
    if (!f) return this.refuse(res, 404, 'not found');
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': f.type, 'content-length': f.body.length, 'cache-control': 'no-cache' });
    res.end(f.body);
  }

  private events(res: ServerResponse): void {
    if (this.streams.size >= LIMITS.maxEventStreams) return this.refuse(res, 503, 'too many open pages on this box; close one', { 'retry-after': '10' });
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.socket?.setTimeout(0);
    this.streams.add(res);
    this.stats.eventStreams++;
    res.on('close', () => this.streams.delete(res));
    res.write(`retry: 3000\nevent: state\ndata: ${this.snapshot().json}\n\n`);
  }

  private async login(res: ServerResponse, body: Readonly<Record<string, unknown>>, client: string): Promise<void> {
    const wait = this.sessions.waitMs(client);
    if (wait > 0) return this.refuse(res, 429, `too many attempts: wait ${Math.ceil(wait / 1000)} s`, { 'retry-after': String(Math.ceil(wait / 1000)) });
    const who = typeof body.who === 'string' ? body.who.trim().slice(0, 60) : '';
    const pw = typeof body.passphrase === 'string' ? body.passphrase : '';
    if (!/^[\p{L}\p{N} .'_-]{1,60}$/u.test(who)) return this.refuse(res, 400, 'give your name (letters, digits, spaces; up to 60)');
    const verdict = await checkPassphrase(this.src.profile.storage.dir, pw);
    if (verdict === 'unset') return this.refuse(res, 409, 'no technician passphrase is set on this box (edgefw site passphrase)');
    if (verdict === 'wrong') {
      const delay = this.sessions.failed(client);
      this.log.warn({ client, who }, 'site login refused: wrong passphrase');
      return this.refuse(res, 401, 'wrong passphrase', { 'retry-after': String(Math.ceil(delay / 1000)) });
    }
    const s = this.sessions.create(who, client);
    this.log.info({ client, who }, 'site login');
    return sendJson(res, 200, { ok: true, who, csrf: s.csrf }, { 'set-cookie': `${COOKIE}=${s.token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.round(this.config.sessionTtl / 1000)}` });
  }
}
