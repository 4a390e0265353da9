import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt from 'mqtt';
import pino from 'pino';
import { SystemClock } from '../drivers/bus/clock.js';
import { compensateHumidity, compensatePressure, compensateTemperature } from '../drivers/i2c/bme280/compensation.js';
import { bme280 } from '../drivers/i2c/bme280/index.js';
import { SIM_CALIBRATION } from '../drivers/i2c/bme280/simulator.js';
import { SimulatedI2cBus } from '../drivers/sim/i2c-bus.js';
import { i2cSimulator } from '../drivers/sim/registry.js';
import { RunningDevice } from '../firmware/device/running-device.js';
import { FaultRegistry } from '../firmware/diagnostics/registry.js';
import { LatencyHistogram } from '../firmware/loop/histogram.js';
import { Scheduler } from '../firmware/loop/scheduler.js';
import { startWorker } from '../firmware/worker-thread.js';
import { Uplink } from '../firmware/uplink/uplink.js';
import { outboxConfig } from '../firmware/uplink/config.js';
import { profileSchema } from '../config/schema.js';
import { startBenchBroker } from './broker.js';
import { publishFlood } from './flood.js';
import type { BenchOptions, BenchResult, Benchmark } from './types.js';

const DEVICES = 20;
const INTERVAL_MS = 100; // 20 devices × 10 Hz = 200 samples/s

interface LoopResult {
  readonly p50: number;
  readonly p99: number;
  /** the p99 of the device whose lateness was worst */
  readonly worstDeviceP99: number;
  readonly max: number;
  readonly driftMs: number;
  readonly samples: number;
  readonly published: number;
  /** share of the window the sampling thread was busy (event-loop utilisation) */
  readonly elu: number;
  /** the scheduler's timer callbacks per second (edgefw only) */
  readonly wakeups?: number;
}


/**
 * edgefw: the runtime's scheduler and device runners on this thread, the uplink in its worker
 * with the outbox on (SQLite, the profile defaults), as a box runs.
 */
async function runEdgefw(url: string, seconds: number): Promise<LoopResult> {
  const log = pino({ level: 'silent' });
  const dir = mkdtempSync(join(tmpdir(), 'edgefw-bench-loop-'));
  const profile = profileSchema.parse({ box: { id: 'bench' }, storage: { dir } });
  const clock = new SystemClock({ assumeTrusted: true });
  const scheduler = new Scheduler();
  const faults = new FaultRegistry(clock);
  const uplink = new Uplink(
    {
      config: {
        url, clientId: `bench-edgefw-${process.pid}`, keepaliveMs: 30_000, prefix: 'bench', boxId: 'edgefw', boot: 1, firmware: 'bench',
        reconnectMinMs: 500, reconnectMaxMs: 2000, maxSamplesPerMessage: 200, inflightWindow: 16, memoryQueueLimit: 200_000,
        commitIntervalMs: 50, drainRate: profile.uplink.outbox.drainRate, outbox: outboxConfig(profile),
      },
      batchMaxSamples: 200,
      batchMaxDelayMs: 50,
      flushAfterBurst: true, // as the runtime sets it with an outbox
    },
    scheduler,
    log,
  );
  uplink.start();
  let samples = 0;
  const buses = [new SimulatedI2cBus('b0'), new SimulatedI2cBus('b1'), new SimulatedI2cBus('b2'), new SimulatedI2cBus('b3'), new SimulatedI2cBus('b4'), new SimulatedI2cBus('b5'), new SimulatedI2cBus('b6'), new SimulatedI2cBus('b7'), new SimulatedI2cBus('b8'), new SimulatedI2cBus('b9')];
  const runners: RunningDevice[] = [];
  for (let i = 0; i < DEVICES; i++) {
    const bus = buses[i % buses.length] as SimulatedI2cBus;
    const address = i < 10 ? 0x76 : 0x77;
    const o = { id: `d${i}`, type: 'bme280' as const, bus: bus.name, address, variant: 'bme280' as const, interval: INTERVAL_MS, timeout: 1000, enabled: true, oversampling: { temperature: 1, pressure: 1, humidity: 1 }, filter: 'off' as const };
    bus.attach(address, i2cSimulator('bme280')?.create(o, clock) as never);
    const driver = bme280.create(o, { id: o.id, clock, log, buses: { i2c: () => bus }, emit: () => {} });
    // phase 0, as the runtime gives devices that share an interval: one wake-up for all twenty
    const r = new RunningDevice(driver, { id: o.id, type: 'bme280', intervalMs: INTERVAL_MS, phaseMs: 0, timeoutMs: 1000 }, {
      scheduler, clock, faults, log,
      sink: (s) => {
        samples++;
        uplink.submit(s);
      },
    });
    runners.push(r);
  }
  // the flood: the same full-rate publisher as the baseline's, on another thread, as edgefw's
  // uplink worker would publish a backlog
  const flood = startWorker(import.meta.url, 'flood-worker', { workerData: { url, seconds } });
  await new Promise<void>((resolve) => flood.once('message', () => resolve()));
  for (const r of runners) r.start();
  await sleep(2000); // warm-up: probes, JIT, broker connection
  const t0 = performance.now();
  // lateness of the measured window only
  scheduler.resetStats();
  const ackedBefore = uplink.stats().acked;
  const elu0 = performance.eventLoopUtilization();
  const wake0 = scheduler.wakeups;
  await sleep(seconds * 1000);
  const wakeups = (scheduler.wakeups - wake0) / seconds;
  const elu = performance.eventLoopUtilization(elu0).utilization;
  const elapsed = performance.now() - t0;
  const isDevice = (name: string): boolean => /^d\d+$/.test(name);
  const pooled = scheduler.pooledLateness(isDevice);
  const worstDeviceP99 = Math.max(...scheduler.allStats().filter((s) => isDevice(s.name)).map((s) => s.lateness.p99));
  // drift: ticks the schedule owed in the window vs ticks that happened (run, overrun or missed)
  const owed = Math.floor(elapsed / INTERVAL_MS);
  const happened = runners.map((r) => {
    const s = r.taskStats();
    return (s?.runs ?? 0) + (s?.overruns ?? 0) + (s?.missed ?? 0);
  });
  const driftTicks = Math.min(...happened) - owed;
  const floodDone = new Promise<number>((resolve) => flood.on('message', (m: { t: string; published: number }) => m.t === 'stopped' && resolve(m.published)));
  flood.postMessage({ t: 'stop' });
  const published = (await floodDone) + uplink.stats().acked - ackedBefore;
  await flood.terminate();
  for (const r of runners) await r.stop();
  await uplink.stop();
  scheduler.stop();
  rmSync(dir, { recursive: true, force: true });
  return { p50: pooled.p50, p99: pooled.p99, worstDeviceP99, max: pooled.max, driftMs: Math.abs(driftTicks) <= 1 ? 0 : driftTicks * INTERVAL_MS, samples, published, elu, wakeups };
}

/** Baseline: setInterval per device and a raw mqtt.js QoS 1 publisher on the same thread. */
async function runBaseline(url: string, seconds: number): Promise<LoopResult> {
  const client = mqtt.connect(url, { clientId: `bench-baseline-${process.pid}`, queueQoSZero: false });
  await new Promise<void>((resolve) => client.once('connect', () => resolve()));
  const flood = publishFlood(client);
  const hist = new LatencyHistogram();
  const perDevice = Array.from({ length: DEVICES }, () => new LatencyHistogram());
  const timers: NodeJS.Timeout[] = [];
  let samples = 0;
  let minTicks = Number.POSITIVE_INFINITY;
  const counts = new Array<number>(DEVICES).fill(0);
  await sleep(2000);
  const t0 = performance.now();
  const elu0 = performance.eventLoopUtilization();
  for (let i = 0; i < DEVICES; i++) {
    const start = t0 + (INTERVAL_MS * i) / DEVICES;
    const begin = setTimeout(() => {
      timers.push(
        setInterval(() => {
          counts[i] = (counts[i] as number) + 1;
          const expected = start + (counts[i] as number) * INTERVAL_MS;
          hist.record(performance.now() - expected);
          perDevice[i]?.record(performance.now() - expected);
          // the same arithmetic a BME280 read costs
          const t = compensateTemperature(519888, SIM_CALIBRATION);
          compensatePressure(415148, t.tFine, SIM_CALIBRATION);
          compensateHumidity(30000, t.tFine, SIM_CALIBRATION);
          samples++;
        }, INTERVAL_MS),
      );
    }, (INTERVAL_MS * i) / DEVICES);
    timers.push(begin);
  }
  await sleep(seconds * 1000);
  const elapsed = performance.now() - t0;
  const published = flood.stop();
  const elu = performance.eventLoopUtilization(elu0).utilization;
  for (const t of timers) clearInterval(t);
  for (const c of counts) minTicks = Math.min(minTicks, c);
  const owed = Math.floor((elapsed - INTERVAL_MS) / INTERVAL_MS);
  const s = hist.summary();
  await new Promise<void>((resolve) => client.end(true, {}, () => resolve()));
  return { p50: s.p50, p99: s.p99, worstDeviceP99: Math.max(...perDevice.map((h) => h.percentile(0.99))), max: s.max, driftMs: (minTicks - owed) * INTERVAL_MS, samples, published, elu };
}

const fmt = (n: number): string => n.toFixed(2);

export const loopBenchmark: Benchmark = {
  name: 'loop',
  description: `sampling lateness, ${DEVICES} devices × ${1000 / INTERVAL_MS} Hz, while the uplink publishes at full rate to Mosquitto`,
  async run(options: BenchOptions): Promise<BenchResult> {
    const broker = await startBenchBroker();
    try {
      options.log(`loop: edgefw scheduler + uplink worker, ${options.seconds} s …`);
      const e = await runEdgefw(broker.url, options.seconds);
      options.log(`loop: setInterval + same-thread mqtt.js publisher, ${options.seconds} s …`);
      const b = await runBaseline(broker.url, options.seconds);
      const row = (name: string, r: LoopResult): (string | number)[] => [name, fmt(r.p50), fmt(r.p99), fmt(r.worstDeviceP99), fmt(r.max), r.driftMs, r.samples, Math.round(r.published / options.seconds), `${(r.elu * 100).toFixed(1)} %`, r.wakeups === undefined ? '—' : r.wakeups.toFixed(0)];
      return {
        title: `Sampling loop at 200 samples/s under a full-rate publish load (${options.seconds} s each)`,
        columns: ['loop', 'late p50 ms', 'late p99 ms', 'worst device p99 ms', 'late max ms', 'drift ms', 'samples', 'published/s', 'loop busy', 'timer wake-ups/s'],
        rows: [row('edgefw scheduler (uplink in worker)', e), row('setInterval + same-thread publisher', b)],
        notes: [
          `edgefw p99 ${fmt(e.p99)} ms (target ≤ 2), max ${fmt(e.max)} ms (target ≤ 10), drift ${e.driftMs} ms (target 0); baseline p99 ${fmt(b.p99)} ms: ${(b.p99 / Math.max(e.p99, 0.01)).toFixed(1)}× worse`,
        ],
      };
    } finally {
      broker.stop();
    }
  },
};
