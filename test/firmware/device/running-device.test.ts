import { describe, expect, it } from 'vitest';
import { bme280 } from '../../../drivers/i2c/bme280/index.js';
import type { Bme280Simulator } from '../../../drivers/i2c/bme280/simulator.js';
import { SimulatedI2cBus } from '../../../drivers/sim/i2c-bus.js';
import { RunningDevice } from '../../../firmware/device/running-device.js';
import { FaultRegistry } from '../../../firmware/diagnostics/registry.js';
import { Scheduler } from '../../../firmware/loop/scheduler.js';
import { FakeTimers } from '../../../firmware/loop/timers.js';
import { FakeClock } from '../../helpers/clock.js';
import type { Sample } from '../../../firmware/reading.js';
import type { Driver } from '../../../drivers/types.js';
import { deviceContext, deviceOptions, silentLog } from '../../helpers/drivers.js';
import { simulatorFor } from '../../../drivers/sim/registry.js';


function rig(devices: { id: string; address: number; interval?: number; bus?: string }[]) {
  const timers = new FakeTimers();
  const clock = new FakeClock(timers);
  const scheduler = new Scheduler(timers);
  const faults = new FaultRegistry(clock);
  const buses = new Map<string, SimulatedI2cBus>();
  const samples: Sample[] = [];
  const runners = devices.map((d) => {
    const name = d.bus ?? 'i2c1';
    const bus = buses.get(name) ?? new SimulatedI2cBus(name);
    buses.set(name, bus);
    const o = deviceOptions(bme280, { id: d.id, bus: name, address: d.address, interval: d.interval ?? 100 });
    const sim = simulatorFor(o, clock) as Bme280Simulator;
    bus.attach(d.address, sim);
    const driver = bme280.create(o, { ...deviceContext(clock, { i2c: bus }), id: d.id });
    const r = new RunningDevice(
      driver,
      { id: d.id, type: 'bme280', intervalMs: o.interval, phaseMs: 0, timeoutMs: 50, backoffMinMs: 1000, backoffMaxMs: 8000 },
      { scheduler, clock, faults, sink: (s) => samples.push(s), log: silentLog },
    );
    return { runner: r, sim };
  });
  return { timers, scheduler, faults, samples, runners };
}

describe('RunningDevice lifecycle', () => {
  it('probes, samples on its interval and stamps samples with units and times', async () => {
    const { timers, samples, runners } = rig([{ id: 'env', address: 0x76 }]);
    runners[0]?.runner.start();
    await timers.advance(1000);
    expect(runners[0]?.runner.state).toBe('ok');
    expect(samples.length).toBeGreaterThanOrEqual(9);
    expect(samples[0]).toMatchObject({ device: 'env', kind: 'sample', timeSource: 'assumed' });
    expect(samples[0]?.values.map((v) => `${v.channel}:${v.unit}`)).toEqual(['temperature:°C', 'pressure:hPa', 'humidity:%RH']);
  });

  it('a bus glitch (one EREMOTEIO) is retried within the tick: no fault, no lost sample', async () => {
    const { timers, samples, runners, faults } = rig([{ id: 'env', address: 0x76 }]);
    const { runner, sim } = runners[0] ?? { runner: undefined as never, sim: undefined as never };
    runner.start();
    await timers.advance(250);
    const before = samples.length;
    sim.faults.failNext({ op: 'any', times: 2, error: 'EREMOTEIO' });
    await timers.advance(100);
    expect(samples.length).toBe(before + 1);
    expect(faults.active()).toEqual([]);
    expect(runner.state).toBe('ok');
  });

  it('persistent bus errors degrade then fail the device only; its neighbour keeps sampling; it recovers without restart', async () => {
    const { timers, samples, runners, faults } = rig([{ id: 'env', address: 0x76 }, { id: 'other', address: 0x77 }]);
    for (const r of runners) r.runner.start();
    await timers.advance(500);
    const env = runners[0];
    if (!env) throw new Error('rig');
    env.sim.faults.unplug();
    await timers.advance(150);
    expect(env.runner.state).toBe('degraded');
    expect(faults.isActive('I2C_NACK', 'env')).toBe(true);
    await timers.advance(300);
    expect(env.runner.state).toBe('failed');
    expect(faults.isActive('DEVICE_FAILED', 'env')).toBe(true);
    const otherBefore = samples.filter((s) => s.device === 'other').length;
    await timers.advance(3000);
    // the neighbour on the same bus kept its rate during the outage
    expect(samples.filter((s) => s.device === 'other').length - otherBefore).toBeGreaterThanOrEqual(29);
    expect(env.runner.status().nextProbeInMs).toBeDefined();
    env.sim.faults.replug();
    await timers.advance(10_000);
    expect(env.runner.state).toBe('ok');
    expect(faults.active()).toEqual([]);
    const last = samples.filter((s) => s.device === 'env').at(-1);
    expect(last?.monoMs).toBeGreaterThan(timers.now() - 200);
  });

  it('a device missing at start is re-probed with backoff and sampled once it answers', async () => {
    const { timers, samples, runners, faults } = rig([{ id: 'env', address: 0x76 }]);
    const env = runners[0];
    if (!env) throw new Error('rig');
    env.sim.faults.unplug();
    env.runner.start();
    await timers.advance(5000);
    expect(env.runner.state).toBe('probing');
    expect(samples).toEqual([]);
    expect(faults.isActive('I2C_NACK', 'env')).toBe(true);
    expect(env.runner.status().errors).toBeLessThanOrEqual(4); // 0, ~1, ~3, ~7 s: backoff, not hammering
    env.sim.faults.replug();
    await timers.advance(20_000);
    expect(env.runner.state).toBe('ok');
    expect(samples.length).toBeGreaterThan(0);
    expect(faults.active()).toEqual([]);
  });

  // a part stretching the clock holds its whole bus (as on the wire), so the neighbour that must
  // not be delayed sits on another bus
  it('a hung read times out as DEVICE_TIMEOUT and does not delay a device on another bus', async () => {
    const { timers, samples, runners, faults } = rig([{ id: 'env', address: 0x76 }, { id: 'other', address: 0x76, bus: 'i2c2' }]);
    for (const r of runners) r.runner.start();
    await timers.advance(200);
    const env = runners[0];
    if (!env) throw new Error('rig');
    env.sim.faults.slowMs = 10_000; // every transfer takes 10 s (real timers in the simulator)
    const otherBefore = samples.filter((s) => s.device === 'other').length;
    await timers.advance(1000);
    expect(faults.isActive('DEVICE_TIMEOUT', 'env')).toBe(true);
    expect(samples.filter((s) => s.device === 'other').length - otherBefore).toBeGreaterThanOrEqual(9);
    env.sim.faults.slowMs = 0;
  });
});

describe('RunningDevice.retime (profile reload)', () => {
  it('a new interval replaces the periodic task on the scheduler clock; the same interval leaves it alone', async () => {
    const { timers, samples, runners, scheduler } = rig([{ id: 'env', address: 0x76, interval: 100 }]);
    const runner = runners[0]?.runner;
    if (!runner) throw new Error('rig');
    runner.start();
    await timers.advance(1000);
    const tick = (): number => scheduler.allStats().find((t) => t.name === 'env')?.runs ?? -1;
    runner.retime(100, 50);
    expect(tick()).toBeGreaterThanOrEqual(9);
    const before = samples.length;
    runner.retime(250, 80);
    expect(runner.options).toMatchObject({ intervalMs: 250, timeoutMs: 80 });
    await timers.advance(1000);
    // 1000 ms at 250 ms: exactly four ticks, each a sample
    expect(samples.length - before).toBe(4);
    expect(scheduler.allStats().filter((t) => t.name === 'env')).toHaveLength(1);
  });
});

describe('RunningDevice read deadline (one timer per attempt, conversion waits included)', () => {
  /** A driver whose conversion takes `waitMs` and whose data read answers (or hangs) as told. */
  function scripted(waitMs: number, data: 'answers' | 'hangs') {
    const timers = new FakeTimers();
    const clock = new FakeClock(timers);
    const scheduler = new Scheduler(timers);
    const faults = new FaultRegistry(clock);
    const samples: Sample[] = [];
    let reads = 0;
    const driver: Driver = {
      channels: [{ name: 'level', unit: 'mm', min: 0, max: 100, decimals: 0 }],
      init: async () => {},
      read: async () => {
        reads++;
        return { waitMs, next: () => (data === 'answers' ? Promise.resolve({ values: [{ channel: 'level', value: reads }] }) : new Promise<never>(() => {})) };
      },
      describe: () => ({}),
    };
    const runner = new RunningDevice(driver, { id: 'tank', type: 'test', intervalMs: 1000, phaseMs: 0, timeoutMs: 100, retries: 0 }, { scheduler, clock, faults, sink: (s) => samples.push(s), log: silentLog });
    return { timers, faults, samples, runner, scheduler };
  }

  it('a data step that hangs after a conversion wait longer than the timeout is DEVICE_TIMEOUT at the next timer pass', async () => {
    const { timers, faults, samples, runner } = scripted(150, 'hangs');
    runner.start();
    await timers.advance(200);
    expect(samples).toEqual([]);
    expect(faults.isActive('DEVICE_TIMEOUT', 'tank')).toBe(true);
    expect(runner.status()).toMatchObject({ state: 'degraded', lastError: { code: 'DEVICE_TIMEOUT' } });
  });

  it('a data step that hangs within the timeout is DEVICE_TIMEOUT at the deadline; the next tick reads again', async () => {
    const { timers, faults, runner, scheduler } = scripted(20, 'hangs');
    runner.start();
    await timers.advance(99);
    expect(faults.isActive('DEVICE_TIMEOUT', 'tank')).toBe(false);
    await timers.advance(2);
    expect(faults.isActive('DEVICE_TIMEOUT', 'tank')).toBe(true);
    await timers.advance(1000);
    // the hung read ended at its deadline, so the next tick was not an overrun
    expect(scheduler.allStats().find((t) => t.name === 'tank')).toMatchObject({ overruns: 0 });
    expect(runner.status().errors).toBe(2);
  });

  it('a read that answers within the timeout is a sample and leaves no timer behind that could fire', async () => {
    const { timers, faults, samples, runner } = scripted(20, 'answers');
    runner.start();
    await timers.advance(3500);
    expect(samples.map((s) => s.values[0]?.value)).toEqual([1, 2, 3, 4]);
    expect(faults.active()).toEqual([]);
  });
});
