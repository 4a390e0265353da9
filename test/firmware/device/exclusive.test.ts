import { describe, expect, it } from 'vitest';
import { sht3x } from '../../../drivers/i2c/sht3x/index.js';
import { Sht3xSimulator } from '../../../drivers/i2c/sht3x/simulator.js';
import { SimulatedI2cBus } from '../../../drivers/sim/i2c-bus.js';
import { RunningDevice } from '../../../firmware/device/running-device.js';
import { FaultRegistry } from '../../../firmware/diagnostics/registry.js';
import { Scheduler } from '../../../firmware/loop/scheduler.js';
import { FakeTimers } from '../../../firmware/loop/timers.js';
import type { Sample } from '../../../firmware/reading.js';
import { FakeClock } from '../../helpers/clock.js';
import { deviceContext, deviceOptions, silentLog } from '../../helpers/drivers.js';

/**
 * An SHT3x in single-shot mode without clock stretching NACKs every command while it measures,
 * and its status command replaces a result not yet read (datasheet 4.3, 4.5). The on-site scan
 * and diag identify the part by reading its status: landed between the driver's measure command
 * and its read, that either looks like a missing part or costs the driver its reading.
 */
function rig() {
  const timers = new FakeTimers();
  const clock = new FakeClock(timers);
  const scheduler = new Scheduler(timers);
  const faults = new FaultRegistry(clock);
  const bus = new SimulatedI2cBus('i2c1');
  const sim = new Sht3xSimulator(clock);
  bus.attach(0x44, sim);
  const o = deviceOptions(sht3x, { id: 'climate', bus: 'i2c1', address: 0x44, interval: 50 });
  const driver = sht3x.create(o, { ...deviceContext(clock, { i2c: bus }), id: 'climate' });
  const samples: Sample[] = [];
  const runner = new RunningDevice(
    driver,
    { id: 'climate', type: 'sht3x', intervalMs: o.interval, phaseMs: 0, timeoutMs: 100, backoffMinMs: 1000, backoffMaxMs: 8000, retries: 0 },
    { scheduler, clock, faults, sink: (s) => samples.push(s), log: silentLog },
  );
  const identify = async (): Promise<string> => {
    try {
      return (await bus.lock.run(() => sht3x.i2c?.identify?.(bus, 0x44) ?? Promise.resolve(undefined))) ?? 'not an SHT3x';
    } catch (e) {
      return `error: ${(e as Error).message}`;
    }
  };
  return { timers, faults, runner, samples, identify };
}

/** Identify the part at every millisecond offset of two sampling cycles; returns what each said. */
async function sweep(exclusive: boolean): Promise<{ answers: string[]; r: ReturnType<typeof rig> }> {
  const r = rig();
  r.runner.start();
  await r.timers.advance(300);
  expect(r.runner.state).toBe('ok');
  const answers: string[] = [];
  for (let offset = 0; offset < 100; offset++) {
    await r.timers.advance(1);
    const p = exclusive ? r.runner.exclusive(r.identify) : r.identify();
    await r.timers.advance(40);
    answers.push(await p);
  }
  return { answers, r };
}

describe('RunningDevice.exclusive: a scan or diag probe never lands inside a measurement', () => {
  it('without it, identifying a sampled SHT3x at some instants fails or costs a reading (the control)', async () => {
    const { answers, r } = await sweep(false);
    const failed = answers.filter((a) => !a.startsWith('SHT3x')).length;
    const lostReads = r.runner.status().errors;
    expect(failed + lostReads).toBeGreaterThan(0);
  });

  it('with it, every identify succeeds at every offset, the driver loses no reading and no fault is raised', async () => {
    const { answers, r } = await sweep(true);
    expect(answers.filter((a) => !a.startsWith('SHT3x'))).toEqual([]);
    expect(answers).toHaveLength(100);
    expect(r.runner.status().errors).toBe(0);
    expect(r.faults.active()).toEqual([]);
    // sampling went on between the sections
    const before = r.samples.length;
    await r.timers.advance(500);
    expect(r.samples.length - before).toBeGreaterThanOrEqual(8);
  });
});

describe('RunningDevice.reprobe while a measurement is in flight', () => {
  it('answers ok at every offset of a sampling cycle: the read that finishes first does not turn the probe into a recovery', async () => {
    const r = rig();
    r.runner.start();
    await r.timers.advance(300);
    const states: string[] = [];
    for (let offset = 0; offset < 50; offset++) {
      await r.timers.advance(1);
      const p = r.runner.reprobe();
      await r.timers.advance(40);
      states.push(await p);
    }
    expect(states.filter((s) => s !== 'ok')).toEqual([]);
    expect(r.runner.state).toBe('ok');
    expect(r.faults.active()).toEqual([]);
  });
});
