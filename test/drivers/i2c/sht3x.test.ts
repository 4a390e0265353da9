import { describe, expect, it } from 'vitest';
import { SimulatedI2cBus } from '../../../drivers/sim/i2c-bus.js';
import { ManualClock } from '../../../drivers/bus/clock.js';
import {
  commandWithArgs,
  packWords,
  sensirionCrc8,
  sensirionHumidity,
  sensirionTemperature,
  unpackWords,
} from '../../../drivers/i2c/sensirion.js';
import { sht3x } from '../../../drivers/i2c/sht3x/index.js';
import { CMD, STATUS } from '../../../drivers/i2c/sht3x/registers.js';
import { Sht3xSimulator } from '../../../drivers/i2c/sht3x/simulator.js';
import { i2cRig, readToEnd } from '../../helpers/drivers.js';

describe('Sensirion CRC-8 and word framing (SHT3x datasheet 4.12)', () => {
  it('matches the datasheet vector 0xBEEF → 0x92', () => {
    expect(sensirionCrc8([0xbe, 0xef])).toBe(0x92);
    expect(packWords([0xbeef])).toEqual(Uint8Array.of(0xbe, 0xef, 0x92));
  });

  it('matches the SCD4x datasheet serial number and measurement examples', () => {
    // get_serial_number example: 0xF896 0x31, 0x9F07 0xC2, 0x3BBE 0x89
    expect(packWords([0xf896, 0x9f07, 0x3bbe])).toEqual(Uint8Array.of(0xf8, 0x96, 0x31, 0x9f, 0x07, 0xc2, 0x3b, 0xbe, 0x89));
    expect(commandWithArgs(0x2427, [0x07e6])).toEqual(Uint8Array.of(0x24, 0x27, 0x07, 0xe6, sensirionCrc8([0x07, 0xe6])));
  });

  it('a flipped bit is CRC_MISMATCH naming the word', () => {
    const bytes = packWords([0x6667, 0x5eb9]);
    bytes[4] = (bytes[4] as number) ^ 0x01;
    expect(() => unpackWords(bytes, 'bus 0x44')).toThrow(expect.objectContaining({ code: 'CRC_MISMATCH', retryable: true, message: expect.stringContaining('word 1') }));
    expect(() => unpackWords(bytes.slice(0, 4), 'bus 0x44')).toThrow(expect.objectContaining({ code: 'BAD_RESPONSE' }));
  });

  it('converts raw words with T = −45 + 175·S/65535 and RH = 100·S/65535 (datasheet 4.13)', () => {
    expect(sensirionTemperature(0)).toBe(-45);
    expect(sensirionTemperature(0xffff)).toBe(130);
    expect(sensirionTemperature(0x6667)).toBeCloseTo(25.0027, 4);
    expect(sensirionHumidity(0x5eb9)).toBeCloseTo(37.0016, 4);
    expect(sensirionHumidity(0xffff)).toBe(100);
  });
});

describe('SHT3x driver against the command-level simulator', () => {
  it('single shot without clock stretching waits the high-repeatability 15 ms, then reads', async () => {
    const { sim, driver, clock, bus } = i2cRig(sht3x);
    await driver.init();
    sim.setChannel('temperature', 23.45);
    sim.setChannel('humidity', 61.2);
    const r = await driver.read();
    if (!('waitMs' in r)) throw new Error('expected a wait');
    expect(r.waitMs).toBe(15);
    clock.advance(r.waitMs);
    const v = await r.next();
    expect(v).toEqual({ values: [{ channel: 'temperature', value: 23.45 }, { channel: 'humidity', value: 61.2 }] });
    expect(sim.violations).toEqual([]);
    expect(bus.overlaps).toBe(0);
  });

  it('low repeatability waits 4 ms', async () => {
    const { driver } = i2cRig(sht3x, { repeatability: 'low' });
    await driver.init();
    const r = await driver.read();
    expect('waitMs' in r && r.waitMs).toBe(4);
  });

  it('with clock stretching the read follows the command and the sensor holds SCL for the measurement', async () => {
    const { sim, driver } = i2cRig(sht3x, { clockStretching: true, repeatability: 'medium' });
    await driver.init();
    sim.setChannel('temperature', -10.5);
    const r = await driver.read();
    expect(r).toEqual({ values: [{ channel: 'temperature', value: -10.5 }, { channel: 'humidity', value: 45 }] });
    expect((sim as Sht3xSimulator).stretchedMs).toBe(6);
    expect(sim.violations).toEqual([]);
  });

  it('a driver that skips the wait without clock stretching is NACKed and the simulator records it', async () => {
    const { sim, driver } = i2cRig(sht3x);
    await driver.init();
    const r = await driver.read();
    if (!('waitMs' in r)) throw new Error('expected a wait');
    await expect(r.next()).rejects.toMatchObject({ code: 'I2C_NACK' });
    expect(sim.violations[0]).toMatch(/during a measurement without clock stretching/);
  });

  it('status register: reset value 0x8010, heater bit 13, cleared by init', async () => {
    const { sim, driver } = i2cRig(sht3x, { heater: true });
    const s = sim as Sht3xSimulator;
    expect(s.statusRegister).toBe(0x8010);
    await driver.init();
    expect(driver.describe()).toMatchObject({ status: '0x8010', resetSinceLastInit: true });
    expect(s.heaterOn).toBe(true);
    expect(s.statusRegister).toBe(STATUS.HEATER_ON); // alert and reset bits cleared
    await driver.init();
    expect(driver.describe()).toMatchObject({ status: '0x2000', heater: true, resetSinceLastInit: false });
  });

  it('soft reset: commands within 1.5 ms are NACKed; the driver waits it out before init', async () => {
    const { sim, driver, clock, bus } = i2cRig(sht3x, { heater: true });
    await driver.init();
    await driver.reset?.();
    expect((sim as Sht3xSimulator).heaterOn).toBe(false);
    await expect(driver.init()).rejects.toMatchObject({ code: 'DEVICE_BUSY' });
    await driver.reset?.(); // a second reset while the first runs sends nothing (it would be NACKed)
    await expect(bus.write(0x44, Uint8Array.of(0xf3, 0x2d))).rejects.toMatchObject({ code: 'I2C_NACK' });
    clock.advance(1.5);
    await driver.init();
    expect((sim as Sht3xSimulator).heaterOn).toBe(true);
    expect((await readToEnd(driver, clock)).length).toBe(2);
  });

  it('the simulator refuses unknown commands, commands while measuring, and a second read of one result', async () => {
    const clock = new ManualClock();
    const bus = new SimulatedI2cBus('b');
    const sim = new Sht3xSimulator(clock);
    bus.attach(0x45, sim);
    await expect(bus.write(0x45, Uint8Array.of(0x12, 0x34))).rejects.toMatchObject({ code: 'I2C_NACK' });
    expect(sim.statusRegister & STATUS.COMMAND_FAILED).toBe(STATUS.COMMAND_FAILED);
    await bus.write(0x45, Uint8Array.of(0x24, 0x00));
    await expect(bus.write(0x45, Uint8Array.of(0x30, 0x41))).rejects.toMatchObject({ code: 'I2C_NACK' });
    clock.advance(15);
    expect(unpackWords(await bus.read(0x45, 6), 't')).toEqual([0x6147, 0x7333]); // 21.5 °C = (21.5 + 45)·65535/175, 45 %RH
    await expect(bus.read(0x45, 6)).rejects.toMatchObject({ code: 'I2C_NACK' });
    expect(sim.violations).toHaveLength(3);
    expect(CMD.CLEAR_STATUS).toBe(0x3041);
  });

  it('a bad CRC on the measurement is CRC_MISMATCH; the next read succeeds', async () => {
    const { sim, driver, clock } = i2cRig(sht3x);
    await driver.init();
    (sim as Sht3xSimulator).crc.corruptNext();
    await expect(readToEnd(driver, clock)).rejects.toMatchObject({ code: 'CRC_MISMATCH', retryable: true, message: expect.stringContaining('sim0 0x44 measurement: CRC of word 0') });
    sim.setChannel('temperature', 19.75);
    expect((await readToEnd(driver, clock))[0]).toEqual({ channel: 'temperature', value: 19.75 });
    expect(sim.violations).toEqual([]);
  });

  it('noise on the wire is CRC_MISMATCH; the next clean read succeeds', async () => {
    const { sim, driver, clock } = i2cRig(sht3x);
    await driver.init();
    sim.faults.garbage = true;
    let crcErrors = 0;
    for (let i = 0; i < 5; i++) {
      await readToEnd(driver, clock).catch((e: { code: string }) => {
        if (e.code === 'CRC_MISMATCH') crcErrors++;
      });
    }
    expect(crcErrors).toBeGreaterThanOrEqual(4); // a random byte matches its CRC 1 time in 256
    sim.faults.garbage = false;
    sim.setChannel('humidity', 80);
    expect((await readToEnd(driver, clock))[1]).toEqual({ channel: 'humidity', value: 80 });
  });

  it('scan identification names the part by its status word', async () => {
    const { bus } = i2cRig(sht3x);
    expect(await sht3x.i2c?.identify?.(bus, 0x44)).toBe('SHT3x (status 0x8010)');
  });
});
