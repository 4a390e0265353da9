import { describe, expect, it } from 'vitest';
import { channelChecks } from '../../config/checks.js';
import { bme280 } from '../../drivers/i2c/bme280/index.js';
import { REG, RESET_WORD } from '../../drivers/i2c/bme280/registers.js';
import type { Bme280Simulator } from '../../drivers/i2c/bme280/simulator.js';
import { SimulatedI2cBus } from '../../drivers/sim/i2c-bus.js';
import { RunningDevice } from '../../firmware/device/running-device.js';
import { ValueChecks } from '../../firmware/diagnostics/checks.js';
import { type FaultEvent, FaultRegistry } from '../../firmware/diagnostics/registry.js';
import { Scheduler } from '../../firmware/loop/scheduler.js';
import { FakeTimers } from '../../firmware/loop/timers.js';
import { deviceContext, deviceOptions, silentLog } from '../helpers/drivers.js';
import { FakeClock } from '../helpers/clock.js';
import { simulatorFor } from '../../drivers/sim/registry.js';

/**
 * The value-check stage as the runtime wires it: BME280 register simulator → real driver →
 * RunningDevice → ValueChecks → fault registry, on fake time (1 s interval).
 */
function rig(checks: Record<string, unknown>) {
  const timers = new FakeTimers();
  const clock = new FakeClock(timers);
  const scheduler = new Scheduler(timers);
  const faults = new FaultRegistry(clock);
  const events: FaultEvent[] = [];
  faults.onEvent((e) => events.push(e));
  const bus = new SimulatedI2cBus('i2c1');
  const o = deviceOptions(bme280, { id: 'env', bus: 'i2c1', address: 0x76, interval: 1000 });
  const sim = simulatorFor(o, clock) as Bme280Simulator;
  bus.attach(0x76, sim);
  sim.setChannel('temperature', 20);
  const stage = new ValueChecks([{ device: 'env', channel: 'temperature', checks: channelChecks.parse(checks) }], faults, scheduler.now());
  const driver = bme280.create(o, { ...deviceContext(clock, { i2c: bus }), id: 'env' });
  const runner = new RunningDevice(driver, { id: 'env', type: 'bme280', intervalMs: 1000, phaseMs: 0, timeoutMs: 100, backoffMinMs: 1000, backoffMaxMs: 4000 }, { scheduler, clock, faults, sink: (s) => stage.observe(s), log: silentLog });
  scheduler.every('checks-stale', 1000, () => stage.stale(scheduler.now()));
  runner.start();
  const active = (): string[] => faults.active().map((f) => `${f.code}@${f.subject}`).sort();
  return { timers, sim, bus, faults, events, runner, active, stage, scheduler };
}

describe('value checks on raw readings', () => {
  it('range: VALUE_OUT_OF_RANGE after two readings above max (debounce), cleared by the first good one', async () => {
    const { timers, sim, active, faults } = rig({ range: { min: -30, max: 60 } });
    await timers.advance(3000);
    expect(active()).toEqual([]);
    sim.setChannel('temperature', 70);
    await timers.advance(1000);
    expect(active()).toEqual([]);
    await timers.advance(1000);
    expect(active()).toEqual(['VALUE_OUT_OF_RANGE@env/temperature']);
    expect(faults.active()[0]?.message).toMatch(/^env\/temperature: 70(\.\d+)? °C is outside -30\.\.60 °C$/);
    sim.setChannel('temperature', 25);
    await timers.advance(1000);
    expect(active()).toEqual([]);
  });

  it('stuck: SENSOR_STUCK once the frozen simulator repeats a value for 5 samples; cleared when it moves', async () => {
    const { timers, sim, active } = rig({ stuck: { samples: 5 } });
    for (let i = 0; i < 6; i++) {
      sim.setChannel('temperature', 20 + i * 0.1);
      await timers.advance(1000);
    }
    expect(active()).toEqual([]);
    sim.stick();
    for (let i = 0; i < 6; i++) {
      sim.setChannel('temperature', 22 + i * 0.1); // the world moves, the part does not
      await timers.advance(1000);
    }
    expect(active()).toEqual(['SENSOR_STUCK@env/temperature']);
    sim.unstick();
    sim.setChannel('temperature', 23);
    await timers.advance(1000);
    expect(active()).toEqual([]);
  });

  it('rate: VALUE_RATE for a 15 °C jump within a second (limit 5 °C per minute), cleared after three calm readings', async () => {
    const { timers, sim, active } = rig({ rate: { max: 5, per: '1m' } });
    await timers.advance(3000);
    sim.setChannel('temperature', 35);
    await timers.advance(1000);
    expect(active()).toEqual(['VALUE_RATE@env/temperature']);
    await timers.advance(2000);
    expect(active()).toEqual(['VALUE_RATE@env/temperature']);
    await timers.advance(1000);
    expect(active()).toEqual([]);
  });

  it('staleness: an unplugged sensor goes SENSOR_STALE next to I2C_NACK and DEVICE_FAILED; replugged, it recovers without a restart and everything clears', async () => {
    const { timers, sim, active, runner } = rig({ staleMax: '3s' });
    await timers.advance(2500);
    sim.faults.unplug();
    await timers.advance(2000);
    expect(active()).toEqual(['I2C_NACK@env']);
    await timers.advance(3000);
    expect(runner.state).toBe('failed');
    expect(active()).toEqual(['DEVICE_FAILED@env', 'I2C_NACK@env', 'SENSOR_STALE@env/temperature']);
    sim.faults.replug();
    await timers.advance(8000);
    expect(runner.state).toBe('ok');
    expect(active()).toEqual([]);
  });

  it('ignores aggregates (checks look at raw values) and channels without checks', () => {
    const faults = new FaultRegistry(new FakeClock(new FakeTimers()));
    const stage = new ValueChecks([{ device: 'env', channel: 'temperature', checks: channelChecks.parse({ range: { max: 10 } }) }], faults, 0);
    const base = { device: 'env', monoMs: 0, wallMs: 0, timeSource: 'assumed' as const };
    stage.observe({ ...base, kind: 'aggregate', values: [{ channel: 'temperature', value: 99, unit: '°C' }] });
    stage.observe({ ...base, kind: 'sample', values: [{ channel: 'humidity', value: 99, unit: '%RH' }] });
    stage.observe({ ...base, kind: 'sample', values: [{ channel: 'temperature', value: 99, unit: '°C' }] });
    stage.observe({ ...base, kind: 'sample', values: [{ channel: 'temperature', value: 99, unit: '°C' }] });
    expect(faults.active().map((f) => f.code)).toEqual(['VALUE_OUT_OF_RANGE']);
  });

  it('refuses contradictory checks with a clear message', () => {
    const r = channelChecks.safeParse({ range: { min: 10, max: 5 }, stuck: { samples: 1 } });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual(['range: range.min must be below range.max', 'stuck.samples: Too small: expected number to be >=2']);
  });
});

describe('device faults from simulator faults through the device runner', () => {
  it('WRONG_CHIP_ID when a BMP280 sits where the profile names a BME280; cleared once the right part answers', async () => {
    const { timers, sim, active } = rig({});
    await timers.advance(1500);
    sim.setChipId(0x58);
    await refitPart(timers, sim);
    expect(active()).toContain('WRONG_CHIP_ID@env');
    sim.setChipId(0x60);
    await timers.advance(10_000);
    expect(active()).toEqual([]);
  });

  it('I2C_BUS_ERROR when EREMOTEIO persists past the retries; I2C_BUS_MISSING when the adapter vanishes; both clear', async () => {
    const { timers, sim, bus, active } = rig({});
    await timers.advance(1500);
    sim.faults.failNext({ op: 'any', times: 3, error: 'EREMOTEIO' });
    await timers.advance(1000);
    expect(active()).toEqual(['I2C_BUS_ERROR@env']);
    await timers.advance(1000);
    expect(active()).toEqual([]);
    bus.missing = true;
    await timers.advance(1000);
    expect(active()).toEqual(['I2C_BUS_MISSING@env']);
    bus.missing = false;
    await timers.advance(1000);
    expect(active()).toEqual([]);
  });
});

describe('a hung read', () => {
  it('DEVICE_TIMEOUT when a transfer outlasts the device timeout; cleared by the next good read once the part answers in time', async () => {
    const { timers, sim, active } = rig({});
    await timers.advance(1500);
    sim.faults.slowMs = 300; // real milliseconds per transfer, against a 100 ms timeout on the scheduler's clock
    await timers.advance(1000);
    expect(active()).toEqual(['DEVICE_TIMEOUT@env']);
    sim.faults.slowMs = 0;
    await new Promise((r) => setTimeout(r, 700)); // the stretched transfers still hold the bus this long
    await timers.advance(1000);
    expect(active()).toEqual([]);
  });
});

describe('a sensor that reset itself', () => {
  it('BAD_RESPONSE after a brown-out reset of the BME280 (humidity back to its skipped value); the runner re-initialises it and it clears', async () => {
    const { timers, sim, active, runner, faults } = rig({});
    await timers.advance(1500);
    sim.onWrite(Uint8Array.of(REG.RESET, RESET_WORD)); // the part's own power-on reset: ctrl_hum back to 0
    await timers.advance(1000);
    expect(active()).toEqual(['BAD_RESPONSE@env']);
    expect(faults.active()[0]?.message).toBe('i2c1 0x76: raw humidity 0x8000 is a reset or floating-bus value');
    await timers.advance(8000); // failed after three ticks, soft reset, re-probed: init() writes ctrl_hum again
    expect(runner.state).toBe('ok');
    expect(active()).toEqual([]);
  });
});

/** Make the runner re-probe: fail it (unplug long enough), then replug so init() reads the chip id again. */
async function refitPart(timers: FakeTimers, sim: Bme280Simulator): Promise<void> {
  sim.faults.unplug();
  await timers.advance(4000);
  sim.faults.replug();
  await timers.advance(6000);
}

describe('value checks after a profile reload (SIGHUP)', () => {
  it('new limits apply to the next readings; a check taken away clears its fault', async () => {
    const { timers, sim, active, stage, scheduler } = rig({ range: { min: -30, max: 60 } });
    await timers.advance(3000);
    expect(active()).toEqual([]);
    // tighter limit: the same 20 °C is now out of range
    stage.replaceDevice('env', [{ device: 'env', channel: 'temperature', checks: channelChecks.parse({ range: { max: 10 } }) }], scheduler.now());
    await timers.advance(5000); // past the catalogue's debounce
    expect(active()).toEqual(['VALUE_OUT_OF_RANGE@env/temperature']);
    // the check is removed from the profile: nothing would ever clear the fault, so the reload does
    stage.replaceDevice('env', [], scheduler.now());
    expect(active()).toEqual([]);
    sim.setChannel('temperature', 95);
    await timers.advance(2000);
    expect(active()).toEqual([]);
    expect(stage.size).toBe(0);
  });
});
