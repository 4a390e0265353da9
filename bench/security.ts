import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt from 'mqtt';
import pino from 'pino';
import { parseProfile } from '../config/load.js';
import type { LatencySummary } from '../firmware/loop/histogram.js';
import { Runtime } from '../firmware/runtime.js';
import type { IntakeCounters } from '../firmware/security/intake.js';
import { signCommand } from '../firmware/security/envelope.js';
import { generateKeyPair, publicKeyText } from '../firmware/security/keys.js';
import { startBenchBroker } from './broker.js';
import type { BenchOptions, BenchResult, Benchmark } from './types.js';

/** Sampling devices of the flood scenario: names are scheduler task names. */
const DEVICES = ['env', 'outdoor', 'climate'];

export interface FloodWindow {
  readonly seconds: number;
  readonly lateness: LatencySummary;
  readonly runs: number;
  readonly missed: number;
  readonly overruns: number;
  /** RSS at the end of the window and its peak, MiB */
  readonly rssMiB: number;
  readonly rssPeakMiB: number;
}

export interface FloodResult {
  readonly quiet: FloodWindow;
  readonly flood: FloodWindow;
  /** the box's counters after the flood (one valid command was accepted first) */
  readonly counters: IntakeCounters;
  readonly hostile: number;
  /** ms the publisher needed until the broker acknowledged every hostile message */
  readonly publishMs: number;
}

/** The hostile publisher script (plain JS, its own process): beside this file, or in bench/ of the repository when run from dist/. */
function publisherScript(): string {
  const here = fileURLToPath(new URL('./hostile-publisher.mjs', import.meta.url));
  if (existsSync(here)) return here;
  return fileURLToPath(new URL('../../bench/hostile-publisher.mjs', import.meta.url));
}

/**
 * A running box samples three I²C parts (two at 10 Hz, one at 5 Hz) while a separate process
 * publishes `hostile` messages on its command topics: oversize, 16,000-deep JSON, bad
 * signatures and replays, in turn. Rate limits are lifted so every message goes through the
 * full check (parse, signature, replay cache): the worst case. A quiet window of `quietSeconds`
 * before the flood is the baseline (and the steady-state RSS). Returns both windows' lateness,
 * missed ticks and RSS.
 */
export async function runFlood(url: string, hostile: number, quietSeconds: number, log: (l: string) => void = () => {}): Promise<FloodResult> {
  const dir = mkdtempSync(join(tmpdir(), 'edgefw-flood-'));
  const key = generateKeyPair();
  const profile = parseProfile({
    box: { id: 'flood-box' },
    uplink: { url, batch: { maxDelay: 100 }, reconnect: { min: 500, max: 1000 } },
    clock: { assumeTrusted: true },
    storage: { dir },
    buses: { i2c: [{ name: 'i2c1', simulated: true }] },
    devices: [
      { id: 'env', type: 'bme280', bus: 'i2c1', address: 0x76, interval: 100 },
      { id: 'outdoor', type: 'bme280', bus: 'i2c1', address: 0x77, interval: 100 },
      { id: 'climate', type: 'sht3x', bus: 'i2c1', address: 0x44, interval: 200 },
    ],
    health: { interval: '60s' },
    commands: { trust: [{ name: 'tech', key: publicKeyText(key.publicKey), allow: ['diag', 'ack'] }], rate: { perTopic: 1e6, total: 1e6, burst: 1000 }, refusalFault: 100 },
  });
  const rt = new Runtime({ profile, log: pino({ level: 'silent' }), onRestart: () => undefined });
  await rt.start();
  try {
    for (let i = 0; i < 200 && !rt.status().uplink.connected; i++) await sleep(50);
    await sleep(2000); // warm-up: probes, JIT, the first health report
    const commands = (): IntakeCounters => rt.status().uplink.commands ?? { received: 0, accepted: 0, refused: {} };
    // one valid command, accepted: the flood replays it
    const valid = signCommand({ cmd: 'ack', box: 'flood-box', args: { code: 'TAMPER_OPEN' }, lifetimeMs: 300_000 }, key.privateKey, key.publicKey);
    const window = async (measure: () => Promise<void>): Promise<FloodWindow> => {
      rt.scheduler.resetStats();
      const t0 = performance.now();
      let peak = process.memoryUsage().rss;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
      await measure();
      clearInterval(sampler);
      const stats = rt.scheduler.allStats().filter((t) => DEVICES.includes(t.name));
      const rss = process.memoryUsage().rss;
      return {
        seconds: (performance.now() - t0) / 1000,
        lateness: rt.scheduler.pooledLateness((n) => DEVICES.includes(n)),
        runs: stats.reduce((a, t) => a + t.runs, 0),
        missed: stats.reduce((a, t) => a + t.missed, 0),
        overruns: stats.reduce((a, t) => a + t.overruns, 0),
        rssMiB: rss / 1048576,
        rssPeakMiB: Math.max(peak, rss) / 1048576,
      };
    };
    let publishMs = 0;
    const flood = async (): Promise<void> => {
      const child = fork(publisherScript(), [JSON.stringify({ url, base: 'edgefw/flood-box', total: hostile, replay: valid })], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
      let out = '';
      child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      if (code !== 0) throw new Error(`hostile publisher exited ${code}`);
      publishMs = (JSON.parse(out) as { ms: number }).ms;
      // the box has judged them all when its counters say so (stats come once a second)
      const want = hostile + 1;
      for (let i = 0; i < 1200 && commands().received < want; i++) await sleep(50);
      if (commands().received < want) throw new Error(`the box saw ${commands().received} of ${want} command messages`);
    };
    log(`  quiet: ${quietSeconds} s without commands`);
    const quietWindow = await window(() => sleep(quietSeconds * 1000));
    // one valid command, then the flood
    const c = mqtt.connect(url, { reconnectPeriod: 0 });
    await new Promise<void>((resolve) => c.once('connect', () => resolve()));
    await c.publishAsync('edgefw/flood-box/cmd/ack', JSON.stringify(valid), { qos: 1 });
    await c.endAsync();
    for (let i = 0; i < 100 && commands().accepted < 1; i++) await sleep(50);
    log(`  flood: ${hostile} hostile messages`);
    const floodWindow = await window(flood);
    return { quiet: quietWindow, flood: floodWindow, counters: commands(), hostile, publishMs };
  } finally {
    await rt.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const f = (n: number, d = 1): string => n.toFixed(d);

export const securityBenchmark: Benchmark = {
  name: 'security',
  description: 'sampling lateness, missed ticks and RSS while 10,000 hostile command messages arrive',
  async run(options: BenchOptions): Promise<BenchResult> {
    const broker = await startBenchBroker();
    const hostile = Number(process.env.EDGEFW_FLOOD_MESSAGES ?? 10_000);
    const rows: (string | number)[][] = [];
    const notes: string[] = [];
    try {
      for (let run = 1; run <= 3; run++) {
        options.log(`security run ${run}/3`);
        const r = await runFlood(broker.url, hostile, Math.min(options.seconds, 15), options.log);
        const refused = Object.values(r.counters.refused).reduce((a, b) => a + (b ?? 0), 0);
        for (const [name, w] of [['quiet', r.quiet], ['flood', r.flood]] as const) {
          rows.push([run, name, f(w.seconds), w.runs, w.missed, w.overruns, f(w.lateness.p50, 2), f(w.lateness.p99, 2), f(w.lateness.max, 1), f(w.rssMiB), f(w.rssPeakMiB), name === 'flood' ? `${refused}/${r.hostile} in ${(r.publishMs / 1000).toFixed(1)} s` : '']);
        }
        notes.push(`run ${run}: refused ${JSON.stringify(r.counters.refused)}; RSS growth (flood peak − steady state at the end of the quiet window) ${f(r.flood.rssPeakMiB - r.quiet.rssMiB)} MiB; loadavg ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
      }
    } finally {
      await broker.stop();
    }
    notes.push('Rate limits lifted (every message parsed and verified: the worst case); with the defaults (2/s per topic, 10/s total) all but a few are refused at the rate check.');
    return {
      title: `Sampling under a command flood (${hostile} hostile messages: oversize, 16,000-deep JSON, bad signature, replay)`,
      columns: ['run', 'window', 's', 'ticks', 'missed', 'overruns', 'late p50 ms', 'late p99 ms', 'late max ms', 'RSS MiB', 'RSS peak MiB', 'refused'],
      rows,
      notes,
    };
  },
};
