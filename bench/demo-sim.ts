import pino from 'pino';
import type { Profile } from '../config/schema.js';
import type { Clock } from '../drivers/bus/clock.js';
import { deviceType } from '../drivers/registry.js';
import { World } from '../drivers/sim/world.js';
import { openBuses } from '../firmware/buses.js';
import { RunningDevice } from '../firmware/device/running-device.js';
import { FaultRegistry } from '../firmware/diagnostics/registry.js';
import { Scheduler } from '../firmware/loop/scheduler.js';
import { FakeTimers } from '../firmware/loop/timers.js';
import { sampleFlow } from '../firmware/pipeline/flow.js';
import { withPartDecimals } from '../firmware/pipeline/precision.js';
import { SignalPipeline } from '../firmware/pipeline/pipeline.js';
import type { Sample } from '../firmware/reading.js';

export interface DemoRun {
  /** samples the devices produced (what publishing every sample would send) */
  readonly raw: readonly Sample[];
  /** samples the pipeline let out (what the box sends) */
  readonly reported: readonly Sample[];
}

const STEP_MS = 100;

/** 2026-01-01T00:00:00Z */
const WALL0 = Date.UTC(2026, 0, 1);

/**
 * Run a profile's simulated devices through the real drivers, device runners, scheduler and
 * signal pipeline on a fake clock — minutes of box time in a fraction of a second, no broker.
 * The composition mirrors firmware/runtime.ts (without the uplink); only simulated buses work.
 */
export async function simulateProfile(profile: Profile, minutes: number): Promise<DemoRun> {
  const timers = new FakeTimers();
  const scheduler = new Scheduler(timers);
  const clock: Clock = { monoMs: () => timers.now(), wallMs: () => WALL0 + timers.now(), timeSource: () => 'assumed', markTrusted: () => {} };
  const log = pino({ level: 'silent' });
  const faults = new FaultRegistry(clock);
  // simulated serial parts stream on the same fake scheduler (as the runtime does on its own)
  const ticker = (ms: number, fn: () => void): (() => void) => {
    const t = scheduler.every('serial-sim', ms, fn);
    return () => t.cancel();
  };
  const buses = await openBuses(profile, clock, faults, log, ticker);
  const raw: Sample[] = [];
  const reported: Sample[] = [];
  const enabled = profile.devices.filter((d) => d.enabled);
  const pipeline = new SignalPipeline(enabled.map(withPartDecimals), { scheduler, clock, emit: (s) => reported.push(s) });
  // the raw counter sits where the fault checks sit: before the pipeline
  const sink = sampleFlow((s) => raw.push(s), pipeline.push);
  const devices = enabled.map((d, i) => {
    const def = deviceType(d.type);
    if (!def) throw new Error(`unknown device type ${d.type}`);
    let running: RunningDevice | undefined;
    const driver = def.create(d, { id: d.id, clock, log, buses: buses.provider, emit: (values) => running?.emit(values) });
    running = new RunningDevice(
      driver,
      { id: d.id, type: d.type, intervalMs: d.interval, phaseMs: d.phase ?? Math.round((d.interval * i) / Math.max(1, enabled.length)), timeoutMs: d.timeout },
      { scheduler, clock, faults, sink, log, onInit: (id) => pipeline.restart(id) },
    );
    return running;
  });
  const world = new World();
  for (const sim of buses.simulators.values()) world.add(sim);
  scheduler.every('world', 1000, () => {
    world.update(timers.now() / 1000);
    for (const scene of buses.scenes) scene.update(timers.now() / 1000);
  });
  pipeline.start();
  for (const d of devices) d.start();
  // move fake time in 100 ms steps and let real I/O callbacks run in between: the serial and
  // Firmata simulators talk through serialport's mock binding, which answers on the event loop
  for (let t = 0; t < minutes * 60_000; t += STEP_MS) {
    await timers.advance(STEP_MS);
    for (let k = 0; k < 3; k++) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  await Promise.all(devices.map((d) => d.stop()));
  pipeline.stop();
  scheduler.stop();
  await buses.close();
  return { raw, reported };
}

/**
 * MQTT messages a stream of samples makes under the uplink's batching rule: a batch opens with a
 * sample and leaves after maxDelayMs or at maxSamples, whichever comes first.
 */
export function countMessages(samples: readonly Sample[], maxSamples: number, maxDelayMs: number): number {
  let messages = 0;
  let openedAt = Number.NEGATIVE_INFINITY;
  let inBatch = 0;
  const sorted = samples.map((s) => s.monoMs).sort((a, b) => a - b);
  for (const t of sorted) {
    if (inBatch > 0 && (t >= openedAt + maxDelayMs || inBatch >= maxSamples)) inBatch = 0;
    if (inBatch === 0) {
      messages++;
      openedAt = t;
    }
    inBatch++;
  }
  return messages;
}
