import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { startBenchBroker } from '../broker.js';
import type { BenchOptions, BenchResult, Benchmark } from '../types.js';
import { footprintProfile, packageRoot, shippedLaunch } from './edgefw.js';
import { ensureNodeRed, nodeRedDir, nodeRedFlow } from './node-red.js';
import { type Stats, cpuSeconds, loadAverage, rssMb, stats, stopProcess, wakeups } from './proc.js';
import { whereMemoryGoes } from './where.js';

const DEVICES = 20;
const INTERVAL_MS = 100; // 20 sensors × 10 Hz = 200 samples/s
const BATCH = 50;
const WARMUP_S = 5;

interface Run {
  readonly contender: string;
  readonly round: number;
  /** spawn → first telemetry message at the benchmark's subscriber, s */
  readonly firstS: number;
  readonly rssMb: number;
  readonly hwmMb: number;
  readonly threads: number;
  /** % of one core over the window */
  readonly cpu: number;
  /** readings that reached the subscriber per second over the window */
  readonly perSecond: number;
  /** voluntary context switches per second over the window: every thread, the main thread */
  readonly wakeAll: number;
  readonly wakeMain: number;
  readonly load: string;
}

interface Launch {
  readonly proc: ChildProcess;
  readonly cleanup: () => void;
}

interface Contender {
  readonly name: string;
  launch(url: string, box: string, topic: string, extra?: { nodeArgs?: string[]; env?: Record<string, string> }): Launch;
  /** readings in one telemetry message */
  count(payload: Buffer): number;
}

function freePortFrom(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port) };
}

function edgefw(): Contender {
  const root = packageRoot();
  const { env, nodeArgs } = shippedLaunch(root);
  // probes of other settings (docs/performance.md): EDGEFW_FOOTPRINT_NODE_ARGS="--max-semi-space-size=1"
  const probe = (process.env.EDGEFW_FOOTPRINT_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  return {
    name: probe.length ? `edgefw ${probe.join(' ')}` : 'edgefw',
    launch(url, box, _topic, extra = {}) {
      const dir = mkdtempSync(join(tmpdir(), 'edgefw-footprint-'));
      const profile = join(dir, 'profile.yaml');
      writeFileSync(profile, footprintProfile({ url, box, dataDir: join(dir, 'data'), devices: DEVICES, intervalMs: INTERVAL_MS, batch: BATCH }));
      const args = [...nodeArgs, ...probe, ...(extra.nodeArgs ?? []), join(root, 'bin', 'edgefw.js'), 'run', '--profile', profile];
      const proc = spawn(process.execPath, args, { env: { ...process.env, ...env, ...extra.env }, stdio: 'ignore' });
      return { proc, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
    },
    count: (p) => (JSON.parse(p.toString()) as { samples?: unknown[] }).samples?.length ?? 0,
  };
}

function plainMqtt(): Contender {
  const script = fileURLToPath(new URL('./plain-mqtt.js', import.meta.url));
  return {
    name: 'plain mqtt.js',
    launch(url, _box, topic) {
      const proc = spawn(process.execPath, [script, url, topic, String(DEVICES), String(INTERVAL_MS)], { stdio: 'ignore' });
      return { proc, cleanup: () => {} };
    },
    count: () => 1,
  };
}

/** What the design costs before any feature (floor.ts): the least edgefw could weigh. */
function floor(): Contender {
  const script = fileURLToPath(new URL('./floor.js', import.meta.url));
  return {
    name: 'floor (2 threads, mqtt.js, SQLite)',
    launch(url, _box, topic) {
      const dir = mkdtempSync(join(tmpdir(), 'edgefw-footprint-floor-'));
      const proc = spawn(process.execPath, ['--max-semi-space-size=1', script, url, topic, String(DEVICES), String(INTERVAL_MS), String(BATCH), dir], { stdio: 'ignore' });
      return { proc, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
    },
    count: (p) => (JSON.parse(p.toString()) as { samples?: unknown[] }).samples?.length ?? 0,
  };
}

function nodeRed(redJs: string, version: string): Contender {
  return {
    name: `Node-RED ${version}`,
    launch(url, _box, topic) {
      const dir = mkdtempSync(join(tmpdir(), 'edgefw-footprint-nr-'));
      const { host, port } = freePortFrom(url);
      writeFileSync(join(dir, 'flows.json'), JSON.stringify(nodeRedFlow({ host, port, topic, devices: DEVICES, intervalMs: INTERVAL_MS })));
      // port 0: the editor listens on a free port; everything else is Node-RED's default
      const proc = spawn(process.execPath, [redJs, '--userDir', dir, '--port', '0', join(dir, 'flows.json')], { stdio: 'ignore' });
      return { proc, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
    },
    count: () => 1,
  };
}

async function measure(
  c: Contender,
  round: number,
  url: string,
  sub: mqtt.MqttClient,
  seconds: number,
  extra?: { nodeArgs?: string[]; env?: Record<string, string>; beforeStop?: (pid: number) => Promise<void> },
): Promise<Run> {
  const box = `fp-${c.name.split(' ')[0]?.toLowerCase()}-${round}-${process.pid}`;
  const topic = `bench/${box}/telemetry`;
  let readings = 0;
  let first: number | undefined;
  let firstSeen: () => void = () => {};
  const firstPromise = new Promise<void>((resolve) => (firstSeen = resolve));
  const onMessage = (t: string, payload: Buffer): void => {
    if (t !== topic) return;
    readings += c.count(payload);
    if (first === undefined) {
      first = performance.now();
      firstSeen();
    }
  };
  sub.on('message', onMessage);
  const load = loadAverage();
  const t0 = performance.now();
  const { proc, cleanup } = c.launch(url, box, topic, extra);
  const pid = proc.pid as number;
  try {
    const died = new Promise<never>((_, reject) => proc.once('exit', (code, sig) => reject(new Error(`${c.name} exited (${code ?? sig}) before the measurement ended`))));
    await Promise.race([firstPromise, died, sleep(30_000).then(() => Promise.reject(new Error(`${c.name}: no telemetry within 30 s`)))]);
    const firstS = ((first as number) - t0) / 1000;
    await Promise.race([sleep(WARMUP_S * 1000), died]);
    const cpu0 = cpuSeconds(pid);
    const wake0 = wakeups(pid);
    const r0 = readings;
    const w0 = performance.now();
    await Promise.race([sleep(seconds * 1000), died]);
    const cpu1 = cpuSeconds(pid);
    const wake1 = wakeups(pid);
    const window = (performance.now() - w0) / 1000;
    const mem = rssMb(pid);
    await extra?.beforeStop?.(pid);
    return {
      contender: c.name, round, firstS, rssMb: mem.rss, hwmMb: mem.hwm, threads: mem.threads, cpu: ((cpu1 - cpu0) / window) * 100, perSecond: (readings - r0) / window,
      wakeAll: (wake1.all - wake0.all) / window, wakeMain: (wake1.main - wake0.main) / window, load,
    };
  } finally {
    sub.off('message', onMessage);
    await stopProcess(proc);
    cleanup();
  }
}

const f1 = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : '–');
const f2 = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : '–');
const triple = (s: Stats, f: (n: number) => string): string => `${f(s.min)} / ${f(s.median)} / ${f(s.max)}`;

export const footprintBenchmark: Benchmark = {
  name: 'footprint',
  description: `RSS, CPU and start → first reading: edgefw as shipped vs plain mqtt.js (and Node-RED with --with-node-red), ${DEVICES} sensors × ${1000 / INTERVAL_MS} Hz, QoS 1`,
  async run(options: BenchOptions): Promise<BenchResult> {
    const contenders: Contender[] = [edgefw()];
    const haveNodeRed = existsSync(join(nodeRedDir(), 'node_modules', 'node-red', 'red.js'));
    const only = process.env.EDGEFW_FOOTPRINT_ONLY === 'edgefw'; // probes of settings: edgefw alone
    if (only) {
      // nothing else
    } else if (options.withNodeRed || haveNodeRed) {
      const nr = ensureNodeRed(options.log);
      contenders.push(nodeRed(nr.redJs, nr.version));
    } else {
      options.log(`footprint: Node-RED not installed in ${nodeRedDir()}; add --with-node-red to install it there and compare`);
    }
    if (!only) contenders.push(plainMqtt(), floor());
    const rounds = options.rounds ?? 3;
    const broker = await startBenchBroker({ nice: 0 });
    const sub = mqtt.connect(broker.url, { clientId: `bench-footprint-sub-${process.pid}` });
    await new Promise<void>((resolve, reject) => {
      sub.once('connect', () => sub.subscribe('bench/+/telemetry', { qos: 0 }, (e) => (e ? reject(e) : resolve())));
      sub.once('error', reject);
    });
    const runs: Run[] = [];
    let where: string[] = [];
    try {
      for (let round = 1; round <= rounds; round++) {
        // interleaved, and the order rotates so no contender always runs first
        const order = contenders.map((_, i) => contenders[(i + round - 1) % contenders.length] as Contender);
        for (const c of order) {
          options.log(`footprint: round ${round}/${rounds}, ${c.name}, ${options.seconds} s (load ${loadAverage()}) …`);
          const r = await measure(c, round, broker.url, sub, options.seconds);
          options.log(`  rss ${f1(r.rssMb)} MB (peak ${f1(r.hwmMb)}, ${r.threads} threads), cpu ${f1(r.cpu)} %, first ${f2(r.firstS)} s, ${f1(r.perSecond)} readings/s`);
          runs.push(r);
        }
      }
      // probes of settings skip the extra run: EDGEFW_FOOTPRINT_WHERE=0
      if (process.env.EDGEFW_FOOTPRINT_WHERE !== '0') {
        options.log(`footprint: where the memory goes (edgefw with heap and module reports), ${options.seconds} s …`);
        where = await whereMemoryGoes((extra) => measure(contenders[0] as Contender, 0, broker.url, sub, options.seconds, extra));
      }
    } finally {
      sub.end(true);
      broker.stop();
    }
    const of = (name: string, k: 'rssMb' | 'cpu' | 'firstS' | 'perSecond' | 'hwmMb' | 'wakeAll' | 'wakeMain'): Stats => stats(runs.filter((r) => r.contender === name).map((r) => r[k]));
    const rows = contenders.map((c) => [
      c.name, triple(of(c.name, 'rssMb'), f1), triple(of(c.name, 'hwmMb'), f1), triple(of(c.name, 'cpu'), f1), triple(of(c.name, 'firstS'), f2), f1(of(c.name, 'perSecond').median),
      `${f1(of(c.name, 'wakeMain').median)} / ${f1(of(c.name, 'wakeAll').median)}`,
    ]);
    const notes: string[] = [];
    const e = contenders[0] as Contender;
    const nr = contenders.find((c) => c.name.startsWith('Node-RED'));
    const eRss = of(e.name, 'rssMb').median;
    const eCpu = of(e.name, 'cpu').median;
    const eFirst = of(e.name, 'firstS');
    notes.push(...where);
    if (nr) {
      const rr = eRss / of(nr.name, 'rssMb').median;
      const cr = eCpu / of(nr.name, 'cpu').median;
      notes.push(`edgefw / Node-RED (medians): RSS ${f2(rr)}× (target ≤ 0.5: ${rr <= 0.5 ? 'met' : 'not met'}), CPU ${f2(cr)}× (target ≤ 0.33: ${cr <= 0.33 ? 'met' : 'not met'})`);
    }
    const plain = contenders.find((c) => c.name === 'plain mqtt.js');
    if (plain) notes.push(`edgefw / plain mqtt.js (medians): RSS ${f2(eRss / of(plain.name, 'rssMb').median)}×, CPU ${f2(eCpu / of(plain.name, 'cpu').median)}×`);
    const fl = contenders.find((c) => c.name.startsWith('floor'));
    if (fl) {
      const fr = of(fl.name, 'rssMb').median;
      notes.push(`floor of the design (two threads, mqtt.js QoS 1, SQLite outbox, no features; same flags): RSS ${f1(fr)} MB, CPU ${f1(of(fl.name, 'cpu').median)} % — edgefw's features cost ${f1(eRss - fr)} MB and ${f1(eCpu - of(fl.name, 'cpu').median)} points of CPU above it${nr ? `; the floor itself is ${f2(fr / of(nr.name, 'rssMb').median)}× Node-RED's RSS and ${f2(of(fl.name, 'cpu').median / of(nr.name, 'cpu').median)}× its CPU` : ''}`);
    }
    notes.push(`edgefw RSS median ${f1(eRss)} MB (target ≤ 70: ${eRss <= 70 ? 'met' : 'not met'}); start → first reading max ${f2(eFirst.max)} s (target ≤ 1 s: ${eFirst.max <= 1 ? 'met' : 'not met'})`);
    const launch = shippedLaunch();
    notes.push(`edgefw as its unit starts it: node ${launch.nodeArgs.join(' ') || '(no flags)'}, ${Object.entries(launch.env).map(([k, v]) => `${k}=${v}`).join(' ')}; outbox on, batches of ${BATCH}; Mosquitto at the same priority`);
    notes.push(`load average at the start of each run: ${runs.map((r) => `${r.contender.split(' ')[0]}#${r.round} ${r.load}`).join('; ')}`);
    return {
      title: `Footprint: ${DEVICES} simulated sensors × ${1000 / INTERVAL_MS} Hz, every reading to Mosquitto QoS 1 — ${rounds} interleaved rounds, ${options.seconds} s window after ${WARMUP_S} s warm-up (min / median / max)`,
      columns: ['contender', 'RSS MB', 'peak RSS MB', 'CPU % of a core', 'start → first message s', 'readings/s at subscriber', 'wake-ups/s main / all threads'],
      rows,
      notes,
    };
  },
};
