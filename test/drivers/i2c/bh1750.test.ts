import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../drivers/bus/clock.js';
import { bh1750 } from '../../../drivers/i2c/bh1750/index.js';
import { countToLux, measureMaxMs, mtregOpcodes } from '../../../drivers/i2c/bh1750/registers.js';
import { Bh1750Simulator, luxToCount } from '../../../drivers/i2c/bh1750/simulator.js';
import { SimulatedI2cBus } from '../../../drivers/sim/i2c-bus.js';
import { deviceOptions, i2cRig, readToEnd } from '../../helpers/drivers.js';

describe('BH1750 conversion (datasheet pages 7 and 11)', () => {
  it('datasheet example: 0x8390 counts at MTreg 69 → 28066.7 lx', () => {
    expect(countToLux(0x8390, 'high', 69)).toBeCloseTo(28066.67, 2);
  });

  it('lux = count / 1.2 × (69 / MTreg), halved in H-resolution2', () => {
    expect(countToLux(1200, 'high', 138)).toBe(500);
    expect(countToLux(1200, 'high2', 69)).toBe(500);
    // finest step: H-resolution2 at MTreg 254 is 0.11 lx per count
    expect(countToLux(1, 'high2', 254)).toBeCloseTo(0.1132, 4);
    expect(luxToCount(28066.67, 'high', 69)).toBe(0x8390);
    expect(luxToCount(1e6, 'high', 69)).toBe(0xffff);
  });

  it('MTreg opcodes split 3 + 5 bits: 69 → 0x42, 0x65; 254 → 0x47, 0x7E', () => {
    expect(mtregOpcodes(69)).toEqual([0x42, 0x65]);
    expect(mtregOpcodes(254)).toEqual([0x47, 0x7e]);
    expect(mtregOpcodes(31)).toEqual([0x40, 0x7f]);
  });

  it('measurement time scales with MTreg: 180 ms at 69, 662.6 ms at 254, 24 ms in L-resolution', () => {
    expect(measureMaxMs('high', 69)).toBe(180);
    expect(measureMaxMs('high', 254)).toBeCloseTo(662.6, 1);
    expect(measureMaxMs('low', 69)).toBe(24);
  });
});

describe('BH1750 driver against the opcode-level simulator', () => {
  it('one-time H-resolution: waits 180 ms, reads lux, and the part powers itself down', async () => {
    const { sim, driver, clock } = i2cRig(bh1750);
    await driver.init();
    sim.setChannel('illuminance', 432.5);
    const r = await driver.read();
    if (!('waitMs' in r)) throw new Error('expected a wait');
    expect(r.waitMs).toBe(180);
    clock.advance(r.waitMs);
    const v = await r.next();
    expect(v).toEqual({ values: [{ channel: 'illuminance', value: expect.closeTo(432.5, 0) }] });
    expect((sim as Bh1750Simulator).poweredOn).toBe(false);
    expect(sim.violations).toEqual([]);
  });

  it('MTreg 138 behind dark glass doubles the count and the wait', async () => {
    const { sim, driver, clock } = i2cRig(bh1750, { mtreg: 138, resolution: 'high2' });
    await driver.init();
    expect((sim as Bh1750Simulator).measurementTimeRegister).toBe(138);
    sim.setChannel('illuminance', 12.34);
    const r = await driver.read();
    expect('waitMs' in r && r.waitMs).toBe(360);
    const v = await readToEnd(driver, clock);
    expect(Math.abs((v[0]?.value ?? 0) - 12.34)).toBeLessThanOrEqual(countToLux(1, 'high2', 138));
    expect(driver.channels[0]?.max).toBe(Math.ceil(65535 / 1.2 / 4));
  });

  it('continuous mode waits for the first period only, then reads at once', async () => {
    const { sim, driver, clock } = i2cRig(bh1750, { mode: 'continuous', resolution: 'low' });
    await driver.init();
    const first = await driver.read();
    expect('waitMs' in first && first.waitMs).toBe(24);
    clock.advance(24);
    if ('waitMs' in first) await first.next();
    sim.setChannel('illuminance', 1000);
    clock.advance(24);
    const second = await driver.read();
    expect(second).toEqual({ values: [{ channel: 'illuminance', value: expect.closeTo(1000, 0) }] });
    expect((sim as Bh1750Simulator).poweredOn).toBe(true);
    expect(sim.violations).toEqual([]);
  });

  it('a driver that reads before the measurement finished gets the stale count and a recorded violation', async () => {
    const { sim, driver } = i2cRig(bh1750);
    await driver.init();
    sim.setChannel('illuminance', 800);
    const r = await driver.read();
    if (!('waitMs' in r)) throw new Error('expected a wait');
    expect(await r.next()).toEqual({ values: [{ channel: 'illuminance', value: 0 }] }); // reset cleared the register
    expect(sim.violations[0]).toMatch(/before the first measurement finished/);
  });

  it('the simulator refuses reset in power-down, unknown opcodes and an MTreg outside 31..254', async () => {
    const clock = new ManualClock();
    const bus = new SimulatedI2cBus('b');
    const sim = new Bh1750Simulator(clock);
    bus.attach(0x5c, sim);
    await expect(bus.write(0x5c, Uint8Array.of(0x07))).rejects.toMatchObject({ code: 'I2C_NACK' });
    await expect(bus.write(0x5c, Uint8Array.of(0x55))).rejects.toMatchObject({ code: 'I2C_NACK' });
    await bus.write(0x5c, Uint8Array.of(0x40)); // MTreg high bits 000
    await bus.write(0x5c, Uint8Array.of(0x61)); // low bits 00001 → MTreg 1
    await expect(bus.write(0x5c, Uint8Array.of(0x20))).rejects.toMatchObject({ code: 'I2C_NACK' });
    await expect(bus.read(0x5c, 3)).rejects.toMatchObject({ code: 'I2C_NACK' });
    expect(sim.violations).toEqual([
      'reset (0x07) is not accepted in power-down mode (send power on 0x01 first)',
      'unknown opcode 0x55',
      'measurement with MTreg 1 outside 31..254',
      'read of 3 bytes; the BH1750 returns a 2-byte count',
    ]);
  });

  it('the profile refuses an MTreg the part does not allow, naming the range', () => {
    expect(() => deviceOptions(bh1750, { bus: 'b', mtreg: 300 })).toThrow(/31\.\.254/);
    expect(() => deviceOptions(bh1750, { bus: 'b', address: 0x24 })).toThrow(/0x24 is not a BH1750 address \(0x23, 0x5c\)/);
  });

  it('a bus error mid-read is a typed error and the next read recovers', async () => {
    const { sim, driver, clock } = i2cRig(bh1750);
    await driver.init();
    sim.faults.failNext({ op: 'read', times: 1, error: 'EIO' });
    await expect(readToEnd(driver, clock)).rejects.toMatchObject({ code: 'I2C_BUS_ERROR', retryable: true });
    sim.setChannel('illuminance', 50);
    expect(await readToEnd(driver, clock)).toEqual([{ channel: 'illuminance', value: expect.closeTo(50, 0) }]);
  });
});
