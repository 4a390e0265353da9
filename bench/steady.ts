import { PerformanceObserver, constants, performance } from 'node:perf_hooks';
import { setImmediate as turn } from 'node:timers/promises';
import { getHeapStatistics } from 'node:v8';
import pino from 'pino';
import { profileSchema } from '../config/schema.js';
import type { Clock } from '../drivers/bus/clock.js';
import { deviceType } from '../drivers/registry.js';
import { openBuses } from '../firmware/buses.js';
import { RunningDevice } from '../firmware/device/running-device.js';
import { FaultRegistry } from '../firmware/diagnostics/registry.js';
import { Scheduler } from '../firmware/loop/scheduler.js';
import { FakeTimers } from '../firmware/loop/timers.js';
import { sampleFlow } from '../firmware/pipeline/flow.js';
import { SignalPipeline } from '../firmware/pipeline/pipeline.js';
import type { BenchOptions, BenchResult, Benchmark } from './types.js';

const DEVICES = 20;
const INTERVAL_MS = 100;
const SAMPLES = 1_000_000;

const gc = (globalThis as { gc?: () => void }).gc;

/** Live heap after full collections, MB (needs --expose-gc; otherwise the heap in use, garbage included). */
async function liveHeapMb(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await turn();
  }
  return getHeapStatistics().used_heap_size / 1048576;
}

/**
 * Steady state of the sampling thread: the footprint job (20 BME280s at 10 Hz on simulated
 * buses) through the real scheduler, device runners, drivers and the signal pipeline on a fake
 * clock, 10⁶ readings as fast as they run; garbage collections counted by kind, the live heap
 * compared after full collections before and after.
 */
async function run(log: (l: string) => void): Promise<{ samples: number; minor: number; major: number; growthMb: number; usPerSample: number; exact: boolean }> {
  const timers = new FakeTimers();
  const scheduler = new Scheduler(timers);
  const clock: Clock = { monoMs: () => timers.now(), wallMs: () => 1_790_000_000_000 + timers.now(), timeSource: () => 'assumed', markTrusted: () => {} };
  const quiet = pino({ level: 'silent' });
  const faults = new FaultRegistry(clock);
  const buses = DEVICES / 2;
  const profile = profileSchema.parse({
    box: { id: 'steady' },
    buses: { i2c: Array.from({ length: buses }, (_, b) => ({ name: `i2c${b}`, simulated: true })) },
    devices: Array.from({ length: DEVICES }, (_, i) => ({ id: `d${i}`, type: 'bme280', bus: `i2c${i % buses}`, address: i < buses ? 0x76 : 0x77, interval: INTERVAL_MS })),
  });
  const open = await openBuses(profile, clock, faults, quiet);
  let samples = 0;
  const pipeline = new SignalPipeline(profile.devices, { scheduler, clock, emit: () => void samples++ });
  const sink = sampleFlow(() => undefined, pipeline.push);
  const runners = profile.devices.map((d) => {
    let r: RunningDevice | undefined;
    const driver = deviceType(d.type)?.create(d, { id: d.id, clock, log: quiet, buses: open.provider, emit: (v) => r?.emit(v) });
    if (!driver) throw new Error(d.type);
    r = new RunningDevice(driver, { id: d.id, type: d.type, intervalMs: INTERVAL_MS, phaseMs: 0, timeoutMs: 1000 }, { scheduler, clock, faults, sink, log: quiet });
    return r;
  });
  pipeline.start();
  for (const r of runners) r.start();
  await timers.advance(10_000); // warm-up: probes, JIT
  const counts = { minor: 0, major: 0 };
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = ((e as unknown as { detail?: { kind?: number } }).detail)?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) counts.minor++;
      else counts.major++;
    }
  });
  const before = await liveHeapMb();
  const s0 = samples;
  obs.observe({ entryTypes: ['gc'] });
  const t0 = performance.now();
  while (samples - s0 < SAMPLES) await timers.advance(10_000);
  const elapsed = performance.now() - t0;
  await turn();
  obs.disconnect();
  const n = samples - s0;
  const after = await liveHeapMb();
  for (const r of runners) await r.stop();
  pipeline.stop();
  await open.close();
  scheduler.stop();
  log(`steady: ${n} readings in ${(elapsed / 1000).toFixed(1)} s, ${counts.minor} minor + ${counts.major} major collections, live heap ${before.toFixed(2)} → ${after.toFixed(2)} MB`);
  return { samples: n, minor: counts.minor, major: counts.major, growthMb: after - before, usPerSample: (elapsed * 1000) / n, exact: gc !== undefined };
}

export const steadyBenchmark: Benchmark = {
  name: 'steady',
  description: `sampling thread steady state: ${SAMPLES} readings of the footprint job, collections and heap growth`,
  async run(options: BenchOptions): Promise<BenchResult> {
    const r = await run(options.log);
    const per = 1_000_000 / r.samples;
    return {
      title: `Steady state of the sampling thread: 10⁶ readings (${DEVICES} BME280s × ${1000 / INTERVAL_MS} Hz on a fake clock, drivers, scheduler, pipeline)`,
      columns: ['readings', 'µs per reading (whole path, simulators included)', 'minor GCs per 10⁶', 'major GCs per 10⁶', 'live heap growth MB'],
      rows: [[r.samples, r.usPerSample.toFixed(1), Math.round(r.minor * per), Math.round(r.major * per), r.growthMb.toFixed(2)]],
      notes: [
        `memory growth over 10⁶ readings ${r.growthMb.toFixed(2)} MB (target ≤ 2 MB: ${r.growthMb <= 2 ? 'met' : 'not met'})${r.exact ? '' : ' — run node with --expose-gc for the live heap; without it this is the heap in use, garbage included'}`,
        'minor collections × semi-space size ≈ bytes allocated: each reading allocates its values, sample and promise chain (not zero; see docs/performance.md)',
      ],
    };
  },
};
