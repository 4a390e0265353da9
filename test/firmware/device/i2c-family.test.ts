/**
 * The I²C family under the device runner, on one simulated bus as in an air-quality kiosk:
 * SHT3x climate, BH1750 light, INA219 supply, SCD4x CO₂ and an ADS1115 ADC. Bus faults on one
 * part stay that part's faults; a part absent at start is sampled once it answers.
 */
import { describe, expect, it } from 'vitest';
import { DEVICE_TYPES } from '../../../drivers/registry.js';
import { SimulatedI2cBus } from '../../../drivers/sim/i2c-bus.js';
import type { I2cSimDevice } from '../../../drivers/sim/i2c-target.js';
import { RunningDevice } from '../../../firmware/device/running-device.js';
import { FaultRegistry } from '../../../firmware/diagnostics/registry.js';
import { Scheduler } from '../../../firmware/loop/scheduler.js';
import { FakeTimers } from '../../../firmware/loop/timers.js';
import type { Sample } from '../../../firmware/reading.js';
import { deviceContext, deviceOptions, silentLog } from '../../helpers/drivers.js';
import { FakeClock } from '../../helpers/clock.js';
import { simulatorFor } from '../../../drivers/sim/registry.js';

const PARTS: { id: string; entry: Record<string, unknown> }[] = [
  { id: 'climate', entry: { type: 'sht3x', interval: 1000 } },
  { id: 'light', entry: { type: 'bh1750', interval: 1000 } },
  { id: 'supply', entry: { type: 'ina219', interval: 500 } },
  { id: 'co2', entry: { type: 'scd4x', interval: 5000, timeout: 7000 } },
  { id: 'adc', entry: { type: 'ads1115', interval: 1000, inputs: [{ name: 'noise', input: 'ain0', unit: 'dB', scale: { volts: [0.6, 2.6], values: [30, 130] } }] } },
];

function kiosk() {
  const timers = new FakeTimers();
  const clock = new FakeClock(timers);
  const scheduler = new Scheduler(timers);
  const faults = new FaultRegistry(clock);
  const bus = new SimulatedI2cBus('i2c1');
  const samples: Sample[] = [];
  const parts = new Map<string, { runner: RunningDevice; sim: I2cSimDevice }>();
  for (const p of PARTS) {
    const def = DEVICE_TYPES.find((d) => d.type === p.entry.type);
    if (!def?.i2c) throw new Error(`${String(p.entry.type)} is not an I²C type`);
    const o = deviceOptions(def, { ...p.entry, id: p.id, bus: 'i2c1' });
    const sim = simulatorFor(o, clock) as I2cSimDevice;
    bus.attach(def.i2c.address(o), sim);
    const driver = def.create(o, { ...deviceContext(clock as never, { i2c: bus }), id: p.id });
    const runner = new RunningDevice(
      driver,
      { id: p.id, type: def.type, intervalMs: o.interval, phaseMs: 0, timeoutMs: o.timeout, backoffMinMs: 1000, backoffMaxMs: 8000 },
      { scheduler, clock, faults, sink: (s) => samples.push(s), log: silentLog },
    );
    parts.set(p.id, { runner, sim });
  }
  const part = (id: string): { runner: RunningDevice; sim: I2cSimDevice } => {
    const x = parts.get(id);
    if (!x) throw new Error(id);
    return x;
  };
  const count = (id: string): number => samples.filter((s) => s.device === id).length;
  return { timers, faults, bus, samples, parts, part, count };
}

describe('the I²C family under the device runner', () => {
  it('all five parts sample on one bus without interleaving transfers or tripping a simulator', async () => {
    const k = kiosk();
    for (const p of k.parts.values()) p.runner.start();
    await k.timers.advance(26_000);
    for (const p of PARTS) expect(k.part(p.id).runner.state, p.id).toBe('ok');
    expect(k.count('supply')).toBeGreaterThanOrEqual(50);
    expect(k.count('climate')).toBeGreaterThanOrEqual(25);
    // first reading after stop (500 ms) + start (5 s), then one per 5 s interval
    expect(k.count('co2')).toBeGreaterThanOrEqual(3);
    expect(k.bus.overlaps).toBe(0);
    for (const p of PARTS) expect(k.part(p.id).sim.violations, p.id).toEqual([]);
    expect(k.faults.active()).toEqual([]);
  });

  it('an SHT3x with a failing wire (EREMOTEIO on every transfer) faults alone; the others keep sampling; it recovers', async () => {
    const k = kiosk();
    for (const p of k.parts.values()) p.runner.start();
    await k.timers.advance(12_000);
    const climate = k.part('climate');
    climate.sim.faults.failNext({ op: 'any', times: 1_000_000, error: 'EREMOTEIO' });
    const before = { light: k.count('light'), supply: k.count('supply'), adc: k.count('adc'), co2: k.count('co2') };
    await k.timers.advance(10_000);
    expect(climate.runner.state).toBe('failed');
    expect(k.faults.isActive('I2C_BUS_ERROR', 'climate')).toBe(true);
    expect(k.faults.isActive('DEVICE_FAILED', 'climate')).toBe(true);
    expect(k.count('light') - before.light).toBeGreaterThanOrEqual(9);
    expect(k.count('supply') - before.supply).toBeGreaterThanOrEqual(19);
    expect(k.count('adc') - before.adc).toBeGreaterThanOrEqual(9);
    expect(k.count('co2') - before.co2).toBeGreaterThanOrEqual(1);
    expect(k.faults.active().map((f) => f.subject)).toEqual(['climate', 'climate']);
    climate.sim.faults.clear();
    climate.sim.setChannel('temperature', 31.5);
    await k.timers.advance(20_000);
    expect(climate.runner.state).toBe('ok');
    expect(k.faults.active()).toEqual([]);
    expect(k.samples.filter((s) => s.device === 'climate').at(-1)?.values[0]).toEqual({ channel: 'temperature', value: 31.5, unit: '°C' });
  });

  it('a BH1750 unplugged at start fails its probe, is retried with backoff and sampled once it answers', async () => {
    const k = kiosk();
    const light = k.part('light');
    light.sim.faults.unplug();
    for (const p of k.parts.values()) p.runner.start();
    await k.timers.advance(6000);
    expect(light.runner.state).toBe('probing');
    expect(k.count('light')).toBe(0);
    expect(k.faults.isActive('I2C_NACK', 'light')).toBe(true);
    expect(light.runner.status().errors).toBeLessThanOrEqual(4);
    expect(k.count('climate')).toBeGreaterThanOrEqual(5);
    light.sim.faults.replug();
    light.sim.setChannel('illuminance', 640);
    await k.timers.advance(15_000);
    expect(light.runner.state).toBe('ok');
    expect(k.faults.isActive('I2C_NACK', 'light')).toBe(false);
    expect(k.samples.filter((s) => s.device === 'light').at(-1)?.values[0]).toEqual({ channel: 'illuminance', value: expect.closeTo(640, 0), unit: 'lx' });
    expect(light.sim.violations).toEqual([]);
  });

  it('a CO₂ sensor that browns out is restarted by its driver while the bus carries on', async () => {
    const k = kiosk();
    for (const p of k.parts.values()) p.runner.start();
    await k.timers.advance(12_000);
    const co2 = k.part('co2');
    const before = k.count('co2');
    (co2.sim as unknown as { powerCycle(): void }).powerCycle();
    await k.timers.advance(40_000);
    expect(k.count('co2')).toBeGreaterThan(before + 2);
    expect(co2.runner.state).toBe('ok');
    expect(co2.sim.violations).toEqual([]);
  });
});
