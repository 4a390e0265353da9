import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { parseProfileText } from '../config/load.js';
import { Runtime } from '../firmware/runtime.js';
import type { BenchOptions, BenchResult, Benchmark } from './types.js';

const DEVICES = 20;
const INTERVAL_MS = 100;
type Mode = 'none' | 'page' | 'hostile';

function profileText(dir: string): string {
  const buses = Array.from({ length: DEVICES / 2 }, (_, i) => `    - { name: b${i}, simulated: true }`).join('\n');
  const devices = Array.from({ length: DEVICES }, (_, i) => `  - { id: d${i}, type: bme280, bus: b${Math.floor(i / 2)}, address: ${i % 2 ? '0x77' : '0x76'}, interval: ${INTERVAL_MS}ms, oversampling: { temperature: 1, pressure: 1, humidity: 1 } }`).join('\n');
  return `box: { id: bench-site }
uplink: { embeddedBroker: { port: 0 } }
clock: { assumeTrusted: true }
storage: { dir: ${JSON.stringify(dir)} }
site: { http: { host: 127.0.0.1, port: 0 } }
buses:
  i2c:
${buses}
devices:
${devices}
`;
}

interface Row {
  readonly mode: Mode;
  readonly p50: number;
  readonly p99: number;
  readonly worstP99: number;
  readonly max: number;
  readonly missed: number;
  readonly overruns: number;
  readonly elu: number;
  readonly clients: string;
}

async function scenario(rt: Runtime, port: number, mode: Mode, seconds: number): Promise<Row> {
  const child = mode === 'none' ? undefined : fork(new URL('./site-clients.js', import.meta.url), [String(port), mode], { stdio: 'ignore' });
  if (child) await new Promise<void>((resolve) => child.once('message', () => resolve()));
  await sleep(1500); // clients connected, the slow ones holding their sockets
  rt.scheduler.resetStats();
  const elu0 = performance.eventLoopUtilization();
  await sleep(seconds * 1000);
  const elu = performance.eventLoopUtilization(elu0).utilization;
  const isDevice = (n: string): boolean => /^d\d+$/.test(n);
  const pooled = rt.scheduler.pooledLateness(isDevice);
  const stats = rt.scheduler.allStats().filter((s) => isDevice(s.name));
  let clients = '';
  if (child) {
    const counts = await new Promise<Record<string, number>>((resolve) => {
      child.on('message', (m: { t: string; counts: Record<string, number> }) => m.t === 'counts' && resolve(m.counts));
      child.send({ t: 'stop' });
    });
    clients = Object.entries(counts).filter(([k]) => k !== 'sse-bytes').map(([k, v]) => `${k}:${v}`).join(' ');
  }
  return {
    mode, p50: pooled.p50, p99: pooled.p99, worstP99: Math.max(...stats.map((s) => s.lateness.p99)), max: pooled.max,
    missed: stats.reduce((n, s) => n + s.missed, 0), overruns: stats.reduce((n, s) => n + s.overruns, 0), elu, clients,
  };
}

/**
 * Sampling lateness of the runtime (20 BME280 at 10 Hz on simulated buses, embedded broker) with
 * its technician page: no clients, four technicians with the page open, and the same plus a
 * hostile load (slowloris, stalled event streams, request flood, oversize headers, login
 * guessing, garbage) from another process.
 */
export const siteBenchmark: Benchmark = {
  name: 'site',
  description: 'sampling lateness with the technician page under normal and hostile clients',
  async run(o: BenchOptions): Promise<BenchResult> {
    const dir = mkdtempSync(join(tmpdir(), 'edgefw-bench-site-'));
    const rt = new Runtime({ profile: parseProfileText(profileText(dir), 'bench-site.yaml'), log: pino({ level: 'silent' }) });
    await rt.start();
    const port = rt.site?.port ?? 0;
    await sleep(3000); // probes, JIT, broker connection
    const rows: Row[] = [];
    const load0 = loadavg()[0] ?? 0;
    for (const mode of ['none', 'page', 'hostile', 'none'] as const) {
      o.log(`site: ${mode} clients for ${o.seconds} s`);
      rows.push(await scenario(rt, port, mode, o.seconds));
    }
    const load1 = loadavg()[0] ?? 0;
    const stats = await rt.site?.stats();
    await rt.stop();
    rmSync(dir, { recursive: true, force: true });
    const f = (x: number): string => x.toFixed(2);
    return {
      title: `Technician page: sampling lateness of ${DEVICES} devices at ${1000 / INTERVAL_MS} Hz (ms)`,
      columns: ['clients', 'p50', 'p99', 'worst device p99', 'max', 'missed', 'overruns', 'sampling-thread ELU', 'client outcomes'],
      rows: rows.map((r) => [r.mode, f(r.p50), f(r.p99), f(r.worstP99), f(r.max), r.missed, r.overruns, `${(r.elu * 100).toFixed(0)} %`, r.clients || '–']),
      notes: [
        `load average (1 min) ${load0.toFixed(2)} at start, ${load1.toFixed(2)} at end; ${o.seconds} s per scenario`,
        `server: ${stats?.requests ?? 0} requests, refused ${JSON.stringify(stats?.refused ?? {})}, ${stats?.clientErrors ?? 0} client errors, ${stats?.droppedStreams ?? 0} stalled streams dropped, ${stats?.perClientRefused ?? 0} connections over one client's share`,
      ],
    };
  },
};
