import { rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import pino from 'pino';
import { parseProfileText } from '../../config/load.js';
import { Runtime } from '../../firmware/runtime.js';
import { setPassphrase } from '../../firmware/site/auth.js';
import { tempDir } from './scratch.js';

export const PASSPHRASE = 'lamp post seventeen';

export interface SiteBox {
  readonly runtime: Runtime;
  readonly port: number;
  readonly base: string;
  readonly dir: string;
  stop(): Promise<void>;
}

/**
 * A running box with the technician page on a free loopback port: simulated I²C parts, a door
 * switch, the uplink pointed at a broker (or at a closed port: the box keeps sampling).
 */
export async function startSiteBox(o: { brokerUrl?: string; brokerPassword?: string; embeddedBroker?: boolean; interval?: string; extra?: string; allow?: readonly string[] } = {}): Promise<SiteBox> {
  const dir = tempDir('site');
  await setPassphrase(dir, PASSPHRASE);
  // a broker password lives in a file of its own, as on a box (uplink.passwordFile)
  if (o.brokerPassword !== undefined) writeFileSync(join(dir, 'broker-password'), `${o.brokerPassword}\n`, { mode: 0o600 });
  const login = o.brokerPassword !== undefined ? `, username: fieldops, passwordFile: ${JSON.stringify(join(dir, 'broker-password'))}` : '';
  const uplink = o.embeddedBroker ? '{ embeddedBroker: { port: 0 } }' : `{ url: ${JSON.stringify(o.brokerUrl ?? 'mqtt://127.0.0.1:1')}, reconnect: { min: 5s, max: 30s }${login} }`;
  const interval = o.interval ?? '500ms';
  const profile = parseProfileText(
    `box: { id: site-test-01, site: Test street 3 }
uplink: ${uplink}
clock: { assumeTrusted: true }
storage: { dir: ${JSON.stringify(dir)} }
health: { interval: 2s }
site: { http: { host: 127.0.0.1, port: 0, maxConnections: 24, allow: ${JSON.stringify(o.allow ?? [])} } }
buses:
  i2c: [{ name: i2c1, simulated: true }]
  gpio: [{ name: hdr, simulated: true, stateDir: ${JSON.stringify(join(dir, 'gpio'))} }]
devices:
  - { id: env, name: Canopy climate, type: bme280, bus: i2c1, address: 0x76, interval: ${interval} }
  - { id: climate, type: sht3x, bus: i2c1, address: 0x44, interval: ${interval} }
  - { id: light, type: bh1750, bus: i2c1, address: 0x23, interval: ${interval} }
  - { id: door, type: gpio-input, bus: hdr, line: 5, kind: switch, interval: 1s }
${o.extra ?? ''}`,
    'site-box.yaml',
  );
  const runtime = new Runtime({ profile, log: pino({ level: 'silent' }) });
  await runtime.start();
  const port = runtime.site?.port;
  if (!port) throw new Error('the technician page did not start');
  return {
    runtime,
    port,
    base: `http://127.0.0.1:${port}`,
    dir,
    stop: async () => {
      await runtime.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One HTTP request with full control of the headers (fetch adds and forbids some). */
export function http(port: number, path: string, o: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: o.method ?? 'GET', headers: { host: `127.0.0.1:${port}`, ...o.headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

/** POST a JSON body as the page does (same Origin). */
export function post(port: number, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return http(port, path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', origin: `http://127.0.0.1:${port}`, ...headers } });
}

/** Log in; the session cookie and CSRF token for the next requests. */
export async function login(port: number, who = 'Lan'): Promise<{ cookie: string; csrf: string }> {
  const r = await post(port, '/api/login', { who, passphrase: PASSPHRASE });
  if (r.status !== 200) throw new Error(`login failed: ${r.status} ${r.body}`);
  const set = r.headers['set-cookie'];
  const cookie = ((Array.isArray(set) ? set[0] : set) ?? '').split(';')[0] ?? '';
  return { cookie, csrf: (JSON.parse(r.body) as { csrf: string }).csrf };
}
