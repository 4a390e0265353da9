import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { extname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { FAULTS, type FaultCode } from '../diagnostics/catalog.js';
import { type Translation, faultText, loadLanguages, pickLanguage } from '../diagnostics/i18n/index.js';
import { recentActions } from './action-log.js';
import { Sessions, checkPassphrase, passphraseIsSet } from './auth.js';
import { BodyError, SECURITY_HEADERS, acceptableHost, cookie, isLoopback, readJsonBody, sendError, sendJson } from './http-util.js';
import { LIMITS } from './limits.js';
import type { FromSiteWorker, SiteServerStats, SiteWorkerData, ToSiteWorker } from './protocol.js';

/**
 * The technician page's HTTP side, in its own worker thread: sockets, parsing, limits, sessions,
 * passphrase checks, files, the event streams. The sampling thread sends it the page state as
 * JSON and runs the actions it forwards (one at a time), so no client — slow, many or hostile —
 * costs the sampling thread more than a message. docs/architecture.md has the measurements.
 */
const port = parentPort;
if (!port) throw new Error('site http worker started outside a worker thread');
const cfg = workerData as SiteWorkerData;
const post = (m: FromSiteWorker, transfer?: ArrayBuffer[]): void => port.postMessage(m, transfer ?? []);
const log = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void => post({ t: 'log', level, msg, ...(fields ? { fields } : {}) });

const COOKIE = 'edgefw_site';
const TYPES: Readonly<Record<string, string>> = { '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon' };
const stats: SiteServerStats = { requests: 0, refused: {}, clientErrors: 0, eventStreams: 0, pushes: 0, droppedStreams: 0, perClientRefused: 0 };
const sessions = new Sessions(() => performance.now(), cfg.sessionTtl);
const files = new Map<string, { body: Buffer; type: string }>();
const streams = new Set<ServerResponse>();
const sockets = new Set<Socket>();
const perClient = new Map<string, number>();
const i18nCache = new Map<string, string>();
let languages: readonly Translation[] = [];
let snapshot: string | undefined;
let nextId = 1;
let busy: string | undefined;
const pending = new Map<number, (m: { status: number; body?: unknown; name?: string; data?: Uint8Array }) => void>();

/** The page's files: next to this module in the source tree, or found from dist/ (no copy step). */
function staticDir(): string {
  for (const rel of ['./static/', '../../../firmware/site/static/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  throw new Error('the technician page files (firmware/site/static) are missing from this installation');
}

function refuse(res: ServerResponse, status: number, error: string, headers: Readonly<Record<string, string>> = {}): void {
  stats.refused[status] = (stats.refused[status] ?? 0) + 1;
  sendError(res, status, error, headers);
}

/** Ask the sampling thread; answers within `timeoutMs` or 504. */
function ask(m: { t: 'action'; name: string; args: Record<string, unknown>; actor: { who: string; client: string } } | { t: 'bundle'; actor: { who: string; client: string } }, timeoutMs: number): Promise<{ status: number; body?: unknown; name?: string; data?: Uint8Array }> {
  const id = nextId++;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      pending.delete(id);
      resolve({ status: 504, body: { ok: false, error: 'the box did not answer in time' } });
    }, timeoutMs);
    pending.set(id, (r) => {
      clearTimeout(timer);
      pending.delete(id);
      resolve(r);
    });
    post({ ...m, id } as FromSiteWorker);
  });
}

function i18n(t: Translation): string {
  let json = i18nCache.get(t.lang);
  if (!json) {
    const faults: Record<string, unknown> = {};
    for (const code of Object.keys(FAULTS) as FaultCode[]) faults[code] = faultText(t, code);
    json = JSON.stringify({ lang: t.lang, name: t.name, languages: languages.map((l) => ({ lang: l.lang, name: l.name })), page: t.page, faults });
    i18nCache.set(t.lang, json);
  }
  return json;
}

function sendText(res: ServerResponse, type: string, body: string | Buffer, cache = 'no-store'): void {
  res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': type, 'cache-control': cache, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function push(now: boolean): void {
  if (!snapshot || streams.size === 0) return;
  void now;
  const frame = `event: state\ndata: ${snapshot}\n\n`;
  stats.pushes++;
  for (const res of streams) {
    if (res.writableLength > LIMITS.maxUnreadBytes) {
      stats.droppedStreams++;
      streams.delete(res);
      res.destroy();
      continue;
    }
    res.write(frame);
  }
}

function events(res: ServerResponse): void {
  if (streams.size >= LIMITS.maxEventStreams) return refuse(res, 503, 'too many open pages on this box; close one', { 'retry-after': '10' });
  res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
  res.socket?.setTimeout(0);
  streams.add(res);
  stats.eventStreams++;
  res.on('close', () => streams.delete(res));
  res.write(`retry: 3000\n${snapshot ? `event: state\ndata: ${snapshot}\n` : ''}\n`);
}

async function login(res: ServerResponse, body: Readonly<Record<string, unknown>>, client: string): Promise<void> {
  const wait = sessions.waitMs(client);
  if (wait > 0) return refuse(res, 429, `too many attempts: wait ${Math.ceil(wait / 1000)} s`, { 'retry-after': String(Math.ceil(wait / 1000)) });
  const who = typeof body.who === 'string' ? body.who.trim().slice(0, 60) : '';
  const pw = typeof body.passphrase === 'string' ? body.passphrase : '';
  if (!/^[\p{L}\p{N} .'_-]{1,60}$/u.test(who)) return refuse(res, 400, 'give your name (letters, digits, spaces; up to 60)');
  const verdict = await checkPassphrase(cfg.stateDir, pw);
  if (verdict === 'unset') return refuse(res, 409, 'no technician passphrase is set on this box (edgefw site passphrase)');
  if (verdict === 'wrong') {
    const delay = sessions.failed(client);
    log('warn', 'site login refused: wrong passphrase', { client, who });
    return refuse(res, 401, 'wrong passphrase', { 'retry-after': String(Math.ceil(delay / 1000)) });
  }
  const s = sessions.create(who, client);
  log('info', 'site login', { client, who });
  return sendJson(res, 200, { ok: true, who, csrf: s.csrf }, { 'set-cookie': `${COOKIE}=${s.token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.round(cfg.sessionTtl / 1000)}` });
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  stats.requests++;
  res.on('error', () => res.destroy());
  if (!acceptableHost(req.headers.host, cfg.host)) return refuse(res, 421, 'unknown Host: open the page by the box address');
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://box');
  } catch {
    return refuse(res, 400, 'bad request target');
  }
  const client = req.socket.remoteAddress ?? '?';
  const session = sessions.get(cookie(req, COOKIE));
  const mayRead = isLoopback(client) || session !== undefined;
  const path = url.pathname;
  try {
    if (req.method === 'GET' || req.method === 'HEAD') {
      if (path === '/' || path === '/index.html') return file(res, 'index.html');
      if (path.startsWith('/static/')) return file(res, path.slice('/static/'.length));
      if (path === '/api/i18n') return sendText(res, 'application/json; charset=utf-8', i18n(pickLanguage(languages, url.searchParams.get('lang') ?? undefined, req.headers['accept-language'])));
      if (path === '/api/session') return sendJson(res, 200, { loggedIn: !!session, who: session?.who, csrf: session?.csrf, passphraseSet: passphraseIsSet(cfg.stateDir), mayRead, busy: busy ?? null, allow: session ? cfg.allow : [] });
      if (!mayRead) return refuse(res, 401, 'log in to see this box from another machine');
      if (path === '/api/state') return snapshot ? sendText(res, 'application/json; charset=utf-8', snapshot) : refuse(res, 503, 'starting', { 'retry-after': '2' });
      if (path === '/events') return events(res);
      if (path !== '/api/actions/log' && path !== '/api/support-bundle') return refuse(res, 404, 'not found');
      if (!session) return refuse(res, 401, 'log in first');
      if (path === '/api/actions/log') return sendJson(res, 200, { entries: recentActions(cfg.stateDir) });
      if (path === '/api/support-bundle') {
        const r = await ask({ t: 'bundle', actor: { who: session.who, client } }, 60_000);
        if (r.status !== 200 || !r.data || !r.name) return refuse(res, r.status === 200 ? 500 : r.status, 'the support bundle could not be made');
        res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'application/gzip', 'content-length': r.data.length, 'content-disposition': `attachment; filename="${r.name}"`, 'cache-control': 'no-store' });
        return void res.end(r.data);
      }
    }
    if (req.method !== 'POST') return refuse(res, 405, 'method not allowed', { allow: 'GET, HEAD, POST' });
    // state-changing requests: same origin only (CSRF), small JSON bodies
    if (req.headers.origin !== `http://${req.headers.host ?? ''}`) return refuse(res, 403, 'cross-site request refused (Origin does not match this box)');
    const body = await readJsonBody(req, LIMITS.maxBodyBytes);
    if (path === '/api/login') return await login(res, body, client);
    if (path === '/api/logout') {
      sessions.end(cookie(req, COOKIE));
      return sendJson(res, 200, { ok: true }, { 'set-cookie': `${COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0` });
    }
    const m = /^\/api\/actions\/([a-z0-9-]{1,32})$/.exec(path);
    if (m) {
      if (!session) return refuse(res, 401, 'log in first: actions need a technician session');
      if (req.headers['x-csrf-token'] !== session.csrf) return refuse(res, 403, 'missing or wrong CSRF token: reload the page');
      const name = m[1] as string;
      busy = name;
      const r = await ask({ t: 'action', name, args: body, actor: { who: session.who, client } }, 60_000).finally(() => (busy = undefined));
      return sendJson(res, r.status, r.body);
    }
    return refuse(res, 404, 'not found');
  } catch (e) {
    if (res.headersSent) return void res.destroy();
    if (e instanceof BodyError) return refuse(res, e.status, e.message, { connection: 'close' });
    log('error', 'site request failed', { path, error: (e as Error).message });
    return refuse(res, 500, 'internal error');
  }
}

function file(res: ServerResponse, name: string): void {
  const f = files.get(name);
  if (!f) return refuse(res, 404, 'not found');
  sendText(res, f.type, f.body, 'no-cache');
}

async function main(): Promise<void> {
  languages = await loadLanguages();
  const dir = staticDir();
  for (const f of readdirSync(dir)) {
    const type = TYPES[extname(f)];
    if (type) files.set(f, { body: readFileSync(join(dir, f)), type });
  }
  const server = createServer({ maxHeaderSize: LIMITS.maxHeaderBytes, headersTimeout: LIMITS.headersTimeoutMs, requestTimeout: LIMITS.requestTimeoutMs, keepAliveTimeout: LIMITS.keepAliveTimeoutMs, connectionsCheckingInterval: 1000 });
  server.maxHeadersCount = LIMITS.maxHeaders;
  server.maxConnections = cfg.maxConnections;
  server.maxRequestsPerSocket = 100;
  server.on('connection', (s: Socket) => {
    // one address may hold only its share of the connections (loopback is the box itself)
    const who = s.remoteAddress ?? '?';
    const n = (perClient.get(who) ?? 0) + 1;
    if (!isLoopback(who) && n > LIMITS.maxConnectionsPerClient) {
      stats.perClientRefused++;
      s.destroy();
      return;
    }
    perClient.set(who, n);
    sockets.add(s);
    s.on('close', () => {
      sockets.delete(s);
      const left = (perClient.get(who) ?? 1) - 1;
      if (left <= 0) perClient.delete(who);
      else perClient.set(who, left);
    });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    stats.clientErrors++;
    if (!socket.writable || err.code === 'ECONNRESET') return void socket.destroy();
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const reason = status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request';
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  });
  server.on('request', (req, res) => void handle(req, res));
  port?.on('message', (m: ToSiteWorker) => {
    if (m.t === 'snapshot') {
      snapshot = m.json;
      push(m.now);
    } else if (m.t === 'reply') pending.get(m.id)?.({ status: m.status, body: m.body });
    else if (m.t === 'file') pending.get(m.id)?.({ status: 200, name: m.name, data: m.data });
    else if (m.t === 'stats') post({ t: 'stats', stats });
    else if (m.t === 'stop') {
      for (const s of streams) s.end();
      server.close(() => post({ t: 'stopped' }));
      for (const s of sockets) s.destroy();
    }
  });
  server.once('error', (e) => post({ t: 'failed', error: e.message }));
  server.listen(cfg.port, cfg.host, () => post({ t: 'listening', port: (server.address() as AddressInfo).port }));
}

main().catch((e: unknown) => post({ t: 'failed', error: (e as Error).message }));
