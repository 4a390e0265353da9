import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../drivers/bus/clock.js';
import { ina219 } from '../../../drivers/i2c/ina219/index.js';
import {
  CNVR,
  OVF,
  REG,
  calibrationFor,
  currentLsbFor,
  gainFor,
} from '../../../drivers/i2c/ina219/registers.js';
import { settings } from '../../../drivers/i2c/ina219/settings.js';
import { be16 } from '../../../drivers/i2c/register16.js';
import { Ina219Simulator, currentRegister, powerRegister } from '../../../drivers/i2c/ina219/simulator.js';
import { SimulatedI2cBus } from '../../../drivers/sim/i2c-bus.js';
import type { ReadResult } from '../../../drivers/types.js';
import { deviceOptions, i2cRig, readToEnd } from '../../helpers/drivers.js';

const word = (d: Uint8Array): number => be16(d);

describe('INA219 calibration math (datasheet 8.5.1)', () => {
  it('datasheet example: 0.1 Ω, 2 A → Current_LSB 100 µA, Cal 4096, Power_LSB 2 mW, gain ÷8', () => {
    expect(currentLsbFor(2)).toBe(100e-6); // minimum 61.04 µA, rounded up to a round number
    expect(calibrationFor(100e-6, 0.1)).toBe(4096);
    const s = settings(deviceOptions(ina219, { bus: 'b' }));
    expect(s).toMatchObject({ gain: 3, currentLsb: 100e-6, calibration: 0x1000 });
    expect(s.powerLsb).toBeCloseTo(0.002, 12);
  });

  it('picks the smallest shunt gain that holds maxCurrent × R and clears the void bit 0', () => {
    expect(gainFor(0.04)).toBe(0);
    expect(gainFor(0.05)).toBe(1);
    expect(gainFor(0.33)).toBeUndefined();
    expect(currentLsbFor(10)).toBe(500e-6); // 305 µA → 500 µA
    expect(calibrationFor(500e-6, 0.01)).toBe(8192);
    expect(calibrationFor(100e-6, 0.0333) & 1).toBe(0); // 12300.3 → 12300
  });

  it('current and power registers: 20 mV on 0.1 Ω at 12 V → 2000 × 100 µA = 0.2 A, 1200 × 2 mW = 2.4 W', () => {
    const current = currentRegister(2000, 4096); // shunt register 2000 × 10 µV = 20 mV
    expect(current).toBe(2000);
    expect(powerRegister(current, 12 / 0.004)).toBe(1200);
  });

  it('profile errors: a shunt range the part cannot hold, a calibration outside 16 bits', () => {
    expect(() => deviceOptions(ina219, { bus: 'b', shunt: { ohms: 0.1, maxCurrent: 5 } })).toThrow(/500\.0 mV exceeds the INA219 shunt range of ±320 mV/);
    expect(() => deviceOptions(ina219, { bus: 'b', shunt: { ohms: 0.001, maxCurrent: 0.1 } })).toThrow(/outside 2\.\.65534/);
    expect(() => deviceOptions(ina219, { bus: 'b', address: 0x50 })).toThrow(/0x50 is not a INA219 address/);
  });
});

describe('INA219 driver against the register-level simulator', () => {
  it('programs the calibration, triggers a conversion, waits, polls CNVR and reads V, I, P', async () => {
    const { sim, driver, clock } = i2cRig(ina219);
    await driver.init();
    expect((sim as Ina219Simulator).calibration).toBe(4096);
    sim.setChannel('voltage', 12);
    sim.setChannel('current', 0.2);
    const r = await driver.read();
    expect('waitMs' in r && r.waitMs).toBe(2); // 2 × 532 µs × 1.1
    const values = await readToEnd(driver, clock);
    expect(values).toEqual([
      { channel: 'voltage', value: 12 },
      { channel: 'current', value: expect.closeTo(0.2, 9) },
      { channel: 'power', value: expect.closeTo(2.4, 9) },
    ]);
    expect(sim.violations).toEqual([]);
  });

  it('bus voltage register: BD in 4 mV steps with CNVR, which reading power clears', async () => {
    const clock = new ManualClock();
    const bus = new SimulatedI2cBus('b');
    const sim = new Ina219Simulator(clock, deviceOptions(ina219, { bus: 'b' }));
    bus.attach(0x40, sim);
    sim.setChannel('voltage', 5.004);
    await bus.writeRegister(0x40, REG.CALIBRATION, Uint8Array.of(0x10, 0x00));
    await bus.writeRegister(0x40, REG.CONFIG, Uint8Array.of(0x39, 0x9b)); // reset fields, triggered
    expect(word(await bus.readRegister(0x40, REG.BUS, 2)) & CNVR).toBe(0);
    clock.advance(1.064);
    const busReg = word(await bus.readRegister(0x40, REG.BUS, 2));
    expect(busReg).toBe((1251 << 3) | CNVR); // 5.004 V / 4 mV = 1251
    await bus.readRegister(0x40, REG.POWER, 2);
    expect(word(await bus.readRegister(0x40, REG.BUS, 2)) & CNVR).toBe(0);
    // shunt register at ±320 mV full scale: 0x7D00 = +32000 × 10 µV (table 7)
    sim.setChannel('current', 3.5);
    await bus.writeRegister(0x40, REG.CONFIG, Uint8Array.of(0x39, 0x9b));
    clock.advance(2);
    expect(word(await bus.readRegister(0x40, REG.SHUNT, 2))).toBe(0x7d00);
    sim.setChannel('current', -3.5);
    await bus.writeRegister(0x40, REG.CONFIG, Uint8Array.of(0x39, 0x9b));
    clock.advance(2);
    expect(word(await bus.readRegister(0x40, REG.SHUNT, 2))).toBe(0x8300);
    expect(sim.violations).toEqual([]);
  });

  it('a current beyond the calibrated range sets OVF and the driver says which profile key to fix', async () => {
    // 0.17 A on 0.1 Ω → Current_LSB 10 µA, Cal 40960: 0.35 A would be 35000 counts > 32767
    const { sim, driver, clock } = i2cRig(ina219, { shunt: { ohms: 0.1, maxCurrent: 0.17 } });
    await driver.init();
    sim.setChannel('current', 0.35);
    await expect(readToEnd(driver, clock)).rejects.toMatchObject({ code: 'BAD_RESPONSE', message: expect.stringContaining('shunt.maxCurrent') });
    sim.setChannel('current', 0.15);
    expect((await readToEnd(driver, clock))[1]).toEqual({ channel: 'current', value: expect.closeTo(0.15, 5) });
    expect(OVF).toBe(1);
  });

  it('a brown-out that clears the calibration is caught, reprogrammed and reported once', async () => {
    const { sim, driver, clock } = i2cRig(ina219);
    await driver.init();
    (sim as Ina219Simulator).powerCycle();
    await expect(driver.read()).rejects.toMatchObject({ code: 'BAD_RESPONSE', retryable: true, message: expect.stringContaining('brown-out') });
    expect((sim as Ina219Simulator).calibration).toBe(4096);
    sim.setChannel('current', 1);
    expect((await readToEnd(driver, clock))[1]).toEqual({ channel: 'current', value: expect.closeTo(1, 9) });
    expect(sim.violations).toEqual([]);
  });

  it('a driver that skips the conversion wait is caught by the simulator', async () => {
    const { sim, driver } = i2cRig(ina219);
    await driver.init();
    let r: ReadResult = await driver.read();
    if (!('waitMs' in r)) throw new Error('expected a wait');
    r = await r.next(); // CNVR still 0: the driver polls instead of reading
    expect('waitMs' in r).toBe(true);
    expect(sim.violations).toEqual([]);
    const clock = new ManualClock();
    const bus = new SimulatedI2cBus('b');
    const raw = new Ina219Simulator(clock, deviceOptions(ina219, { bus: 'b' }));
    bus.attach(0x41, raw);
    await bus.writeRegister(0x41, REG.CONFIG, Uint8Array.of(0x39, 0x9b));
    await bus.readRegister(0x41, REG.CURRENT, 2);
    expect(raw.violations).toEqual([
      'current register read before the conversion was ready (CNVR)',
      'current register read with calibration 0 (never programmed, or lost in a reset)',
    ]);
  });

  it('the simulator refuses reserved bit 14, calibration bit 0 and writes to result registers', async () => {
    const clock = new ManualClock();
    const bus = new SimulatedI2cBus('b');
    const sim = new Ina219Simulator(clock, deviceOptions(ina219, { bus: 'b' }));
    bus.attach(0x4f, sim);
    await expect(bus.writeRegister(0x4f, REG.CONFIG, Uint8Array.of(0x79, 0x9f))).rejects.toMatchObject({ code: 'I2C_NACK' });
    await expect(bus.writeRegister(0x4f, REG.CALIBRATION, Uint8Array.of(0x10, 0x01))).rejects.toMatchObject({ code: 'I2C_NACK' });
    await expect(bus.writeRegister(0x4f, REG.POWER, Uint8Array.of(0, 0))).rejects.toMatchObject({ code: 'I2C_NACK' });
    await expect(bus.writeRegister(0x4f, 6, Uint8Array.of(0, 0))).rejects.toMatchObject({ code: 'I2C_NACK' });
    expect(sim.violations).toHaveLength(4);
    // RST restores config 0x399F and calibration 0
    await bus.writeRegister(0x4f, REG.CALIBRATION, Uint8Array.of(0x10, 0x00));
    await bus.writeRegister(0x4f, REG.CONFIG, Uint8Array.of(0x80, 0x00));
    expect(word(await bus.readRegister(0x4f, REG.CONFIG, 2))).toBe(0x399f);
    expect(sim.calibration).toBe(0);
    expect(await ina219.i2c?.identify?.(bus, 0x4f)).toBe('INA219 (config 0x399f)');
  });
});
