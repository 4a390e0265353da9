import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../drivers/bus/clock.js';
import { ads1115 } from '../../../drivers/i2c/ads1115/index.js';
import {
  CONFIG_RESET,
  REG,
  codeToVolts,
  configWord,
  conversionWaitMs,
  decodeConfig,
} from '../../../drivers/i2c/ads1115/registers.js';
import { Ads1115Simulator, voltsToCode } from '../../../drivers/i2c/ads1115/simulator.js';
import { SimulatedI2cBus } from '../../../drivers/sim/i2c-bus.js';
import type { ReadResult } from '../../../drivers/types.js';
import { deviceOptions, i2cRig, readToEnd } from '../../helpers/drivers.js';

const NOISE = { name: 'noise', input: 'ain0', fullScale: 4.096, unit: 'dB', scale: { volts: [0.6, 2.6], values: [30, 130] } };

describe('ADS1115 registers (datasheet 9.6)', () => {
  it('reset config 0x8583: idle, AIN0-AIN1, ±2.048 V, single-shot, 128 SPS, comparator off', () => {
    expect(decodeConfig(CONFIG_RESET)).toEqual({ idle: true, mux: 0, pga: 2, single: true, dr: 4, compQue: 3 });
    expect(configWord({ mux: 0, pga: 2, single: true, dr: 4 }, true)).toBe(CONFIG_RESET);
    // AIN2 single-ended, ±0.256 V, 860 SPS, start: 1 110 101 1 | 111 0 0 0 11 = 0xEBE3
    expect(configWord({ mux: 0b110, pga: 0b101, single: true, dr: 0b111 }, true)).toBe(0xebe3);
  });

  it('output codes of table 3 at ±4.096 V: LSB 125 µV, two’s complement, clipped', () => {
    expect(codeToVolts(0x7fff, 4.096)).toBeCloseTo(4.095875, 9);
    expect(codeToVolts(0x0001, 4.096)).toBeCloseTo(0.000125, 9);
    expect(codeToVolts(0xffff, 4.096)).toBeCloseTo(-0.000125, 9);
    expect(codeToVolts(0x8000, 4.096)).toBe(-4.096);
    expect(voltsToCode(5, 4.096)).toBe(0x7fff);
    expect(voltsToCode(-5, 4.096)).toBe(0x8000);
    expect(voltsToCode(1, 2.048)).toBe(16000); // LSB 62.5 µV at ±2.048 V
  });

  it('waits 1.1 × the sample period for the ±10 % data-rate tolerance', () => {
    expect(conversionWaitMs(128)).toBe(9);
    expect(conversionWaitMs(8)).toBe(138);
    expect(conversionWaitMs(860)).toBe(2);
  });
});

describe('ADS1115 driver against the register-level simulator', () => {
  it('converts each declared input in turn and scales to the profile unit', async () => {
    const { sim, driver, clock, options } = i2cRig(ads1115);
    await driver.init();
    expect(driver.channels).toEqual([
      // decimals: one code, 125 µV × 50 dB/V = 0.00625 dB (3); × 62.5 %/V (3); 7.8 µV at ±0.256 V (6)
      // a scaled input's plausible range is the scale's values: the transducer's span, not the
      // ADC's (which would reach 204.8 dB and −81..175 % through the same lines)
      { name: 'noise', unit: 'dB', min: 30, max: 130, decimals: 3 },
      { name: 'soil', unit: '%', min: 0, max: 100, decimals: 3 },
      { name: 'bridge', unit: 'V', min: -0.256, max: 0.256, decimals: 6 },
    ]);
    sim.setChannel('noise', 85); // 1.7 V
    sim.setChannel('soil', 25); // 2.4 V
    sim.setChannel('bridge', -0.0125);
    expect((sim as Ads1115Simulator).pins.slice(0, 3)).toEqual([expect.closeTo(1.7, 9), expect.closeTo(2.4, 9), -0.0125]);
    const values = await readToEnd(driver, clock);
    expect(values).toEqual([
      { channel: 'noise', value: expect.closeTo(85, 2) },
      { channel: 'soil', value: expect.closeTo(25, 2) },
      { channel: 'bridge', value: expect.closeTo(-0.0125, 5) },
    ]);
    expect((sim as Ads1115Simulator).conversions).toBe(3);
    expect(sim.violations).toEqual([]);
    expect(options.dataRate).toBe(128);
  });

  it('polls the OS bit when the conversion is not done yet, then reads', async () => {
    const { sim, driver, clock } = i2cRig(ads1115, { dataRate: 8, inputs: [NOISE] });
    await driver.init();
    sim.setChannel('noise', 100);
    let r: ReadResult = await driver.read();
    if (!('waitMs' in r)) throw new Error('expected a wait');
    expect(r.waitMs).toBe(138);
    clock.advance(100); // too early: 125 ms at 8 SPS
    r = await r.next();
    expect('waitMs' in r && r.waitMs).toBe(1);
    clock.advance(30);
    if (!('waitMs' in r)) throw new Error('expected a wait');
    r = await r.next();
    expect(r).toEqual({ values: [{ channel: 'noise', value: expect.closeTo(100, 2) }] });
    expect(sim.violations).toEqual([]);
  });

  it('a conversion that never finishes is DEVICE_TIMEOUT after bounded polling', async () => {
    const { driver } = i2cRig(ads1115, { inputs: [NOISE] });
    await driver.init();
    let r: ReadResult = await driver.read();
    const err = await (async () => {
      while ('waitMs' in r) r = await r.next(); // the clock never moves: the ADC never finishes
    })().then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'DEVICE_TIMEOUT', message: expect.stringContaining('after 5 polls') });
  });

  it('a part that was reset under the driver is BAD_RESPONSE naming both config words', async () => {
    const { sim, driver, clock, bus } = i2cRig(ads1115, { inputs: [NOISE] });
    await driver.init();
    const r = await driver.read();
    await bus.writeRegister(0x48, REG.CONFIG, Uint8Array.of(0x05, 0x83)); // another controller writes the reset fields
    clock.advance(20);
    if (!('waitMs' in r)) throw new Error('expected a wait');
    await expect(r.next()).rejects.toMatchObject({ code: 'BAD_RESPONSE', message: expect.stringContaining('config reads 0x8583') });
    expect(sim.violations).toEqual([]);
  });

  it('the simulator refuses reserved pointer bits and writes to the conversion register, and records early reads', async () => {
    const clock = new ManualClock();
    const bus = new SimulatedI2cBus('b');
    const sim = new Ads1115Simulator(clock, [{ name: 'v', input: 'ain3', fullScale: 2.048, unit: 'V' }]);
    bus.attach(0x4b, sim);
    await expect(bus.writeRegister(0x4b, 0x04, Uint8Array.of(0, 0))).rejects.toMatchObject({ code: 'I2C_NACK' });
    await expect(bus.writeRegister(0x4b, REG.CONVERSION, Uint8Array.of(0, 0))).rejects.toMatchObject({ code: 'I2C_NACK' });
    sim.setChannel('v', 1);
    await bus.writeRegister(0x4b, REG.CONFIG, Uint8Array.of(0xf5, 0x83)); // start AIN3, ±2.048 V
    await bus.writeRegister(0x4b, REG.CONFIG, Uint8Array.of(0xf5, 0x83)); // again while converting
    expect(await bus.readRegister(0x4b, REG.CONVERSION, 2)).toEqual(Uint8Array.of(0, 0)); // too early: old result
    clock.advance(8);
    expect(await bus.readRegister(0x4b, REG.CONVERSION, 2)).toEqual(Uint8Array.of(0x3e, 0x80)); // 1 V / 62.5 µV = 16000 = 0x3E80
    expect(sim.violations).toEqual([
      'pointer 0x4 sets reserved bits [7:2] (registers are 0..3)',
      'write to the conversion register (read-only)',
      'OS = 1 written while a conversion was running (the chip ignores it)',
      'conversion register read before OS reported the conversion done (previous result)',
    ]);
  });

  it('profile errors name the input and the allowed values', () => {
    expect(() => deviceOptions(ads1115, { bus: 'b', inputs: [] })).toThrow(/at least one entry under inputs/);
    expect(() => deviceOptions(ads1115, { bus: 'b', inputs: [{ ...NOISE, fullScale: 5 }] })).toThrow(/5 is not one of 6.144, 4.096/);
    expect(() => deviceOptions(ads1115, { bus: 'b', inputs: [NOISE, NOISE] })).toThrow(/input name .{1,3}noise.{1,3} is used twice/);
    expect(() => deviceOptions(ads1115, { bus: 'b', inputs: [{ ...NOISE, input: 'ain1-ain2' }] })).toThrow();
    expect(() => deviceOptions(ads1115, { bus: 'b', inputs: [{ ...NOISE, scale: { volts: [1, 1], values: [0, 1] } }] })).toThrow(/two different voltages/);
  });

  it('scan identification reads the comparator thresholds', async () => {
    const { bus } = i2cRig(ads1115);
    expect(await ads1115.i2c?.identify?.(bus, 0x48)).toBe('ADS1115/ADS1015 (thresholds at reset values)');
    await bus.writeRegister(0x48, REG.LO_THRESH, Uint8Array.of(0, 0));
    expect(await ads1115.i2c?.identify?.(bus, 0x48)).toBeUndefined();
  });
});
