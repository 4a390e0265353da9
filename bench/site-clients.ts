import { Agent, request } from 'node:http';
import { type Socket, connect } from 'node:net';

/**
 * Client load for the technician-page bench, in its own process (its CPU is not the sampling
 * thread's): `page` is four technicians with the page open; `hostile` adds slowloris, stalled
 * event-stream readers, a request flood, oversize headers, wrong-passphrase logins and garbage.
 * Reports counts by outcome to the parent when told to stop.
 */
const [portArg, mode = 'page'] = process.argv.slice(2);
const port = Number(portArg);
const counts: Record<string, number> = {};
const count = (k: string): void => void (counts[k] = (counts[k] ?? 0) + 1);
let running = true;
const sockets = new Set<Socket>();
const agent = new Agent({ keepAlive: true, maxSockets: 8 });

function get(path: string, headers: Record<string, string> = {}, body?: string): Promise<void> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, method: body ? 'POST' : 'GET', agent, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      res.resume();
      res.on('end', () => {
        count(String(res.statusCode));
        resolve();
      });
    });
    req.on('error', () => {
      count('error');
      resolve();
    });
    req.end(body);
  });
}

function raw(onOpen: (s: Socket) => void): void {
  if (!running) return;
  const s = connect(port, '127.0.0.1', () => onOpen(s));
  sockets.add(s);
  s.on('error', () => {});
  s.on('close', () => sockets.delete(s));
}

function eventStream(read: boolean): void {
  raw((s) => {
    if (!read) s.pause();
    s.write(`GET /events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    s.on('data', () => count('sse-bytes'));
    s.on('close', () => {
      count(read ? 'sse-closed' : 'stalled-sse-dropped');
      if (running) setTimeout(() => eventStream(read), 200);
    });
  });
}

function slowloris(): void {
  raw((s) => {
    s.write(`GET /api/state HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`);
    const t = setInterval(() => s.write('X'), 500);
    s.on('close', () => {
      clearInterval(t);
      count('slowloris-cut');
      if (running) setTimeout(slowloris, 100);
    });
  });
}

async function loop(fn: () => Promise<void>, pauseMs: number): Promise<void> {
  while (running) {
    await fn();
    if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
  }
}

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

for (let i = 0; i < 4; i++) eventStream(true);
void loop(() => Promise.all([get('/api/state'), get('/'), get('/static/site.js')]).then(() => undefined), 2000);
if (mode === 'hostile') {
  for (let i = 0; i < 40; i++) slowloris();
  for (let i = 0; i < 8; i++) eventStream(false);
  for (let i = 0; i < 4; i++) void loop(() => get('/api/state'), 0);
  void loop(() => get('/api/i18n?lang=vi'), 0);
  void loop(() => get('/', { 'x-junk': 'a'.repeat(16_000) }), 5);
  void loop(() => get('/api/login', { 'content-type': 'application/json', origin: `http://127.0.0.1:${port}` }, JSON.stringify({ who: 'x', passphrase: 'wrong wrong wrong' })), 20);
  void loop(async () => {
    raw((s) => s.end(Buffer.from('\x16\x03\x01\x00\xff garbage\r\n\r\n', 'latin1')));
    await wait(20);
  }, 0);
}

process.on('message', (m: { t: string }) => {
  if (m.t !== 'stop') return;
  running = false;
  for (const s of sockets) s.destroy();
  agent.destroy();
  process.send?.({ t: 'counts', counts }, () => process.exit(0));
});
process.send?.({ t: 'ready' });
