import { PerformanceObserver, constants, performance } from 'node:perf_hooks';
import { setImmediate as turn } from 'node:timers/promises';
import { GCProfiler, getHeapStatistics } from 'node:v8';
import pino from 'pino';
import { profileSchema } from '../config/schema.js';
import type { Clock } from '../drivers/bus/clock.js';
import { deviceType } from '../drivers/registry.js';
import { openBuses } from '../firmware/buses.js';
import { RunningDevice } from '../firmware/device/running-device.js';
import { type ChannelCheckSpec, ValueChecks } from '../firmware/diagnostics/checks.js';
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
 * Bytes allocated on this thread between start() and stop(): what each collection found in use
 * before it ran, less what the previous one left, plus what the last one left to the end.
 * Independent of the young generation's size (unlike the number of scavenges).
 */
function allocationMeter(): { stop(): number } {
  const profiler = new GCProfiler();
  const start = getHeapStatistics().used_heap_size;
  profiler.start();
  return {
    stop() {
      const end = getHeapStatistics().used_heap_size;
      const stats = profiler.stop()?.statistics ?? [];
      let bytes = 0;
      let left = start;
      for (const s of stats) {
        bytes += s.beforeGC.heapStatistics.usedHeapSize - left;
        left = s.afterGC.heapStatistics.usedHeapSize;
      }
      return bytes + end - left;
    },
  };
}

/**
 * What the fake clock itself allocates to run the job's timeline (its timer map, the promise
 * turns it lets settle after each timer): its timers at the same instants — a 100 ms tick and
 * the conversion wait 10 ms later — with nothing on them and no scheduler, so the job's figure
 * can be read net of it.
 */
async function fakeClockAlone(readings: number): Promise<number> {
  const timers = new FakeTimers();
  let running = true;
  const conversion = (): void => {};
  const tick = (): void => {
    if (!running) return;
    timers.set(tick, INTERVAL_MS);
    timers.set(conversion, 10);
  };
  tick();
  await timers.advance(10_000);
  const meter = allocationMeter();
  await timers.advance((readings / DEVICES) * INTERVAL_MS);
  const bytes = meter.stop();
  running = false;
  return bytes / readings;
}

/**
 * Steady state of the sampling thread: the footprint job (20 BME280s at 10 Hz on simulated
 * buses) through the real scheduler, device runners, drivers and the signal pipeline on a fake
 * clock, 10⁶ readings as fast as they run; garbage collections counted by kind, the live heap
 * compared after full collections before and after.
 */
async function run(log: (l: string) => void): Promise<{ samples: number; minor: number; major: number; growthMb: number; usPerSample: number; exact: boolean; bytesPerReading: number; clockBytesPerReading: number }> {
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
  // the value checks as the runtime builds them (firmware/diagnostics/supervisor.ts): none in this profile
  const specs: ChannelCheckSpec[] = [];
  for (const d of profile.devices) for (const [channel, cfg] of Object.entries(d.channels)) if (cfg.checks) specs.push({ device: d.id, channel, checks: cfg.checks });
  const checks = new ValueChecks(specs, faults, scheduler.now());
  const sink = sampleFlow((s) => checks.observe(s), pipeline.push);
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
  const meter = allocationMeter();
  const t0 = performance.now();
  while (samples - s0 < SAMPLES) await timers.advance(10_000);
  const elapsed = performance.now() - t0;
  const allocated = meter.stop();
  await turn();
  obs.disconnect();
  const n = samples - s0;
  const after = await liveHeapMb();
  for (const r of runners) await r.stop();
  pipeline.stop();
  await open.close();
  scheduler.stop();
  const clockBytesPerReading = await fakeClockAlone(100_000);
  log(`steady: ${n} readings in ${(elapsed / 1000).toFixed(1)} s, ${counts.minor} minor + ${counts.major} major collections, ${Math.round(allocated / n)} B allocated per reading (fake clock alone ${Math.round(clockBytesPerReading)}), live heap ${before.toFixed(2)} → ${after.toFixed(2)} MB`);
  return { samples: n, minor: counts.minor, major: counts.major, growthMb: after - before, usPerSample: (elapsed * 1000) / n, exact: gc !== undefined, bytesPerReading: allocated / n, clockBytesPerReading };
}

export const steadyBenchmark: Benchmark = {
  name: 'steady',
  description: `sampling thread steady state: ${SAMPLES} readings of the footprint job, bytes allocated, collections and heap growth`,
  async run(options: BenchOptions): Promise<BenchResult> {
    const r = await run(options.log);
    const per = 1_000_000 / r.samples;
    return {
      title: `Steady state of the sampling thread: 10⁶ readings (${DEVICES} BME280s × ${1000 / INTERVAL_MS} Hz on a fake clock: scheduler, device runners, drivers and simulators, checks, pipeline)`,
      columns: ['readings', 'µs per reading (whole path, simulators included)', 'bytes allocated per reading', 'of which the fake clock', 'minor GCs per 10⁶', 'major GCs per 10⁶', '≈ scavenges per 10⁶ with a 1 MB semi-space (as shipped)', 'live heap growth MB'],
      rows: [[r.samples, r.usPerSample.toFixed(1), Math.round(r.bytesPerReading), Math.round(r.clockBytesPerReading), Math.round(r.minor * per), Math.round(r.major * per), Math.round((r.bytesPerReading * 1e6) / 1048576), r.growthMb.toFixed(2)]],
      notes: [
        `memory growth over 10⁶ readings ${r.growthMb.toFixed(2)} MB (target ≤ 2 MB: ${r.growthMb <= 2 ? 'met' : 'not met'})${r.exact ? '' : ' — run node with --expose-gc for the live heap; without it this is the heap in use, garbage included'}`,
        `bytes allocated per reading: measured from each collection's heap before and after (node:v8 GCProfiler); at ${DEVICES * (1000 / INTERVAL_MS)} readings/s that is ${((r.bytesPerReading * DEVICES * (1000 / INTERVAL_MS)) / 1048576).toFixed(2)} MB/s on the sampling thread (${((r.bytesPerReading - r.clockBytesPerReading) * DEVICES * (1000 / INTERVAL_MS) / 1048576).toFixed(2)} MB/s net of the fake clock)`,
        'not zero: each reading still allocates the promises of its driver read (the driver contract is promise-based), its values and the sample that leaves for the uplink (docs/performance.md)',
      ],
    };
  },
};
