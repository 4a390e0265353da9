import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../drivers/bus/clock.js';
import { commandBytes, commandWithArgs, sensirionHumidity, sensirionTemperature, unpackWords } from '../../../drivers/i2c/sensirion.js';
import { scd4x } from '../../../drivers/i2c/scd4x/index.js';
import { CMD, dataReady, serialNumber } from '../../../drivers/i2c/scd4x/registers.js';
import { Scd4xSimulator } from '../../../drivers/i2c/scd4x/simulator.js';
import { SimulatedI2cBus } from '../../../drivers/sim/i2c-bus.js';
import type { ReadResult } from '../../../drivers/types.js';
import { deviceOptions, i2cRig, readToEnd } from '../../helpers/drivers.js';

/** Run a read to completion, recording each wait the driver asked for. */
async function waits(first: ReadResult, clock: ManualClock): Promise<{ waits: number[]; result: ReadResult }> {
  const seen: number[] = [];
  let r = first;
  while ('waitMs' in r) {
    seen.push(r.waitMs);
    clock.advance(r.waitMs);
    r = await r.next();
  }
  return { waits: seen, result: r };
}

describe('SCD4x datasheet examples (section 3)', () => {
  it('read_measurement example bytes → 500 ppm, 25.00 °C, 37.00 %RH', () => {
    const bytes = Uint8Array.of(0x01, 0xf4, 0x33, 0x66, 0x67, 0xa2, 0x5e, 0xb9, 0x3c);
    const [co2, t, rh] = unpackWords(bytes, 'scd') as [number, number, number];
    expect(co2).toBe(500);
    expect(sensirionTemperature(t)).toBeCloseTo(25.0, 2);
    expect(sensirionHumidity(rh)).toBeCloseTo(37.0, 2);
  });

  it('get_serial_number example: 0xF896 0x9F07 0x3BBE → 273325796834238', () => {
    expect(serialNumber([0xf896, 0x9f07, 0x3bbe])).toBe(273325796834238);
  });

  it('data ready when any of the low 11 bits of the status word is set', () => {
    expect(dataReady(0x8000)).toBe(false);
    expect(dataReady(0x8006)).toBe(true);
    expect(dataReady(0x0800)).toBe(false);
  });
});

describe('SCD4x driver against the command-level simulator', () => {
  it('start-up: stop (500 ms), serial (1 ms), altitude (1 ms), start, first reading after 5 s', async () => {
    const { sim, driver, clock } = i2cRig(scd4x, { altitude: 440 });
    await driver.init();
    sim.setChannel('co2', 812);
    sim.setChannel('temperature', 24.5);
    sim.setChannel('humidity', 51.25);
    const { waits: w, result } = await waits(await driver.read(), clock);
    expect(w).toEqual([500, 1, 1, 5000, 1, 1]);
    expect(result).toEqual({ values: [{ channel: 'co2', value: 812 }, { channel: 'temperature', value: 24.5 }, { channel: 'humidity', value: 51.25 }] });
    const s = sim as Scd4xSimulator;
    expect(s.altitude).toBe(440);
    expect(s.periodic).toBe(true);
    expect(driver.describe()).toMatchObject({ serial: '0xf8969f073bbe', mode: 'periodic' });
    expect(sim.violations).toEqual([]);
  });

  it('in steady state a read 5 s later finds data ready; an early one waits until it is due', async () => {
    const { sim, driver, clock } = i2cRig(scd4x);
    await driver.init();
    await readToEnd(driver, clock);
    clock.advance(4999);
    sim.setChannel('co2', 1500);
    expect((await waits(await driver.read(), clock)).waits).toEqual([1, 1]);
    clock.advance(2000);
    const early = await waits(await driver.read(), clock);
    // started at 501 ms, measurements every 5 s: the poll at 12 505 ms waits until 15 502 ms
    expect(early.waits).toEqual([1, 2997, 1, 1]);
    expect('values' in early.result && early.result.values[0]).toEqual({ channel: 'co2', value: 1500 });
    expect(sim.violations).toEqual([]);
  });

  it('a CRC error on one measurement costs that reading only: the next one needs no restart', async () => {
    const { sim, driver, clock } = i2cRig(scd4x);
    await driver.init();
    await readToEnd(driver, clock);
    clock.advance(5000);
    sim.faults.garbage = true;
    await expect(readToEnd(driver, clock)).rejects.toMatchObject({ code: 'CRC_MISMATCH' });
    sim.faults.garbage = false;
    clock.advance(5000);
    expect((await waits(await driver.read(), clock)).waits).toEqual([1, 1]);
    // a flipped bit in the measurement words themselves, after data ready said yes
    clock.advance(5000);
    let r = await driver.read(); // get_data_ready_status sent
    if (!('waitMs' in r)) throw new Error('expected a wait');
    clock.advance(1);
    r = await r.next(); // ready: read_measurement sent
    if (!('waitMs' in r)) throw new Error('expected a wait');
    (sim as Scd4xSimulator).crc.corruptNext();
    clock.advance(1);
    await expect(r.next()).rejects.toMatchObject({ code: 'CRC_MISMATCH', message: expect.stringContaining('0x62 measurement: CRC of word 0') });
    clock.advance(5000);
    expect((await waits(await driver.read(), clock)).waits).toEqual([1, 1]);
    expect(sim.violations).toEqual([]);
  });

  it('a sensor that restarts idle (brown-out) is noticed by stale data and started again', async () => {
    const { sim, driver, clock } = i2cRig(scd4x);
    await driver.init();
    await readToEnd(driver, clock);
    (sim as Scd4xSimulator).powerCycle();
    clock.advance(5000);
    await expect(readToEnd(driver, clock)).rejects.toMatchObject({ code: 'DEVICE_TIMEOUT', message: expect.stringContaining('restarting') });
    sim.setChannel('co2', 420);
    const again = await waits(await driver.read(), clock);
    expect(again.waits).toEqual([500, 1, 5000, 1, 1]);
    expect('values' in again.result && again.result.values[0]).toEqual({ channel: 'co2', value: 420 });
    expect(sim.violations).toEqual([]);
  });

  it('the simulator refuses what the sensor refuses: skipped waits, empty buffer, idle-only commands, bad CRC', async () => {
    const clock = new ManualClock();
    const bus = new SimulatedI2cBus('b');
    const sim = new Scd4xSimulator(clock);
    bus.attach(0x62, sim);
    await bus.write(0x62, commandBytes(CMD.STOP_PERIODIC));
    await expect(bus.write(0x62, commandBytes(CMD.GET_SERIAL))).rejects.toMatchObject({ code: 'I2C_NACK' });
    clock.advance(500);
    await bus.write(0x62, commandBytes(CMD.GET_SERIAL));
    await expect(bus.read(0x62, 9)).rejects.toMatchObject({ code: 'I2C_NACK' }); // 1 ms not yet passed
    clock.advance(1);
    await expect(bus.write(0x62, commandWithArgs(CMD.SET_ALTITUDE, [100]).map((b, i) => (i === 4 ? b ^ 1 : b)))).rejects.toMatchObject({ code: 'I2C_NACK' });
    await bus.write(0x62, commandBytes(CMD.START_PERIODIC));
    await expect(bus.write(0x62, commandBytes(CMD.GET_SERIAL))).rejects.toMatchObject({ code: 'I2C_NACK' });
    await bus.write(0x62, commandBytes(CMD.READ_MEASUREMENT));
    clock.advance(1);
    await expect(bus.read(0x62, 9)).rejects.toMatchObject({ code: 'I2C_NACK' }); // nothing measured yet
    expect(sim.violations).toEqual([
      'command sent 500.0 ms before the previous command finished (NACK)',
      "response read 1.0 ms before the command's execution time had passed (NACK)",
      'argument word of 0x2427 has a wrong CRC',
      'command 0x3682 is not accepted during periodic measurement (stop it first)',
      'read_measurement with no new data in the buffer (NACK); check get_data_ready_status first',
    ]);
  });

  it('a second init during the 500 ms stop does not send another command (the sensor would NACK it)', async () => {
    const { sim, driver, clock } = i2cRig(scd4x);
    await driver.init();
    clock.advance(100);
    await driver.init(); // the device runner re-probing quickly
    expect((await waits(await driver.read(), clock)).waits).toEqual([400, 1, 5000, 1, 1]);
    // a command still executing: init says DEVICE_BUSY instead of sending into it
    const r = await driver.read(); // get_data_ready_status, 1 ms
    expect('waitMs' in r).toBe(true);
    await expect(driver.init()).rejects.toMatchObject({ code: 'DEVICE_BUSY', retryable: true });
    clock.advance(1);
    await driver.init();
    expect(sim.violations).toEqual([]);
  });

  it('the profile refuses an interval shorter than the 5 s measurement interval', () => {
    expect(() => deviceOptions(scd4x, { bus: 'b', interval: '1s' })).toThrow(/SCD4x measures every 5 s/);
    expect(deviceOptions(scd4x, { bus: 'b' }).interval).toBe(5000);
  });
});
