import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Node-RED for `bench footprint --with-node-red`: installed on request into a scratch folder
 * (never a dependency of edgefw), run with its default settings on a flow doing the job.
 */
export function nodeRedDir(): string {
  return process.env.EDGEFW_BENCH_NODE_RED_DIR ?? join(homedir(), '.cache', 'edgefw-bench', 'node-red');
}

/** Install node-red@4 into the scratch folder unless it is there; returns red.js and the version. */
export function ensureNodeRed(log: (l: string) => void): { redJs: string; version: string } {
  const dir = nodeRedDir();
  const pkg = join(dir, 'node_modules', 'node-red', 'package.json');
  if (!existsSync(pkg)) {
    mkdirSync(dir, { recursive: true });
    if (!existsSync(join(dir, 'package.json'))) writeFileSync(join(dir, 'package.json'), '{"name":"edgefw-bench-node-red","private":true}\n');
    log(`footprint: installing node-red@4 into ${dir} (npm install) …`);
    execFileSync('npm', ['install', '--no-audit', '--no-fund', 'node-red@4'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const version = (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  return { redJs: join(dir, 'node_modules', 'node-red', 'red.js'), version };
}

/**
 * The job as a Node-RED flow: one inject node per sensor repeating every interval → one
 * function node encoding the reading as edgefw encodes one → mqtt out, QoS 1.
 */
export function nodeRedFlow(o: { host: string; port: number; topic: string; devices: number; intervalMs: number }): unknown[] {
  const tab = { id: 'tab1', type: 'tab', label: 'footprint' };
  const broker = { id: 'broker1', type: 'mqtt-broker', name: 'bench', broker: o.host, port: String(o.port), clientid: '', autoConnect: true, usetls: false, protocolVersion: '5', keepalive: '60', cleansession: true };
  const fn = {
    id: 'encode', type: 'function', z: 'tab1', name: 'encode reading', outputs: 1, wires: [['out']],
    func: [
      "const dev = msg.topic;",
      "const seq = (context.get(dev) || 0) + 1;",
      "context.set(dev, seq);",
      "const v = { temperature: 21 + Math.random(), humidity: 45 + Math.random() * 5, pressure: 1013 + Math.random() };",
      `msg.payload = JSON.stringify({ dev, seq, kind: 'reading', t: Date.now(), tq: 'ntp', v, u: { temperature: '°C', humidity: '%RH', pressure: 'hPa' } });`,
      `msg.topic = ${JSON.stringify(o.topic)};`,
      'return msg;',
    ].join('\n'),
  };
  const out = { id: 'out', type: 'mqtt out', z: 'tab1', name: '', topic: '', qos: '1', retain: 'false', broker: 'broker1', wires: [] };
  const injects = Array.from({ length: o.devices }, (_, i) => ({
    id: `inject${i}`, type: 'inject', z: 'tab1', name: `sensor d${i}`, props: [{ p: 'payload' }, { p: 'topic', vt: 'str' }],
    repeat: String(o.intervalMs / 1000), crontab: '', once: true, onceDelay: 0.1, topic: `d${i}`, payload: '', payloadType: 'date', wires: [['encode']],
  }));
  return [tab, broker, fn, out, ...injects];
}
