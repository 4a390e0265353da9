import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../drivers/bus/clock.js';
import {
  compensateHumidity,
  compensatePressure,
  compensatePressureInt64,
  compensateTemperature,
  parseCalibration,
} from '../../../drivers/i2c/bme280/compensation.js';
import { bme280 } from '../../../drivers/i2c/bme280/index.js';
import { REG, measureTimeMaxMs } from '../../../drivers/i2c/bme280/registers.js';
import {
  Bme280Simulator,
  NVM_COPY_MS,
  SIM_CALIBRATION,
  forwardHumidity as humidityDouble,
  forwardPressure as pressureDouble,
  forwardTemperature as temperatureDouble,
  nvmImage,
} from '../../../drivers/i2c/bme280/simulator.js';
import { SimulatedI2cBus } from '../../../drivers/sim/i2c-bus.js';
import { i2cRig, readToEnd } from '../../helpers/drivers.js';
import { seededRandom } from '../../helpers/random.js';

// Worked example of the BMP280 datasheet (BST-BMP280-DS001, section 3.12), whose T and P
// compensation the BME280 shares: adc_T 519888 → 25.08 °C, adc_P 415148 → 100653.27 Pa.
const DATASHEET = { ...SIM_CALIBRATION, T1: 27504, T2: 26435, T3: -1000, P1: 36477, P2: -10685, P3: 3024, P4: 2855, P5: 140, P6: -7, P7: 15500, P8: -14600, P9: 6000 };

describe('BME280 compensation (datasheet 4.2.3 / 8)', () => {
  it('temperature of the datasheet example: t_fine 128422, 25.08 °C', () => {
    const t = compensateTemperature(519888, DATASHEET);
    expect(t.tFine).toBe(128422);
    expect(t.centiC).toBe(2508);
  });

  it('pressure of the datasheet example: 100653.27 Pa within the integer formula resolution', () => {
    const p = compensatePressure(415148, 128422, DATASHEET) / 256;
    expect(Math.abs(p - 100653.27)).toBeLessThan(0.05);
  });

  it('pressure without BigInt gives the result of the 64-bit formula bit for bit (datasheet example, the ADC range, random trimming)', () => {
    // 64-bit reference of the datasheet example, Q24.8 Pa
    expect(compensatePressure(415148, 128422, DATASHEET)).toBe(compensatePressureInt64(415148, 128422, DATASHEET));
    expect(compensatePressure(415148, 128422, DATASHEET)).toBe(25767233); // 100653.25 Pa
    for (let adcT = 0; adcT < 0x100000; adcT += 4099) {
      const { tFine } = compensateTemperature(adcT, SIM_CALIBRATION);
      for (let adcP = 0; adcP < 0x100000; adcP += 8191) {
        expect(compensatePressure(adcP, tFine, SIM_CALIBRATION)).toBe(compensatePressureInt64(adcP, tFine, SIM_CALIBRATION));
      }
    }
    const rand = seededRandom('BME280 pressure trimming');
    const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
    const s16 = (): number => int(-32768, 32767);
    for (let i = 0; i < 100_000; i++) {
      const cal = { ...SIM_CALIBRATION, P1: int(0, 65535), P2: s16(), P3: s16(), P4: s16(), P5: s16(), P6: s16(), P7: s16(), P8: s16(), P9: s16() };
      // t_fine of any 20-bit code and any trimming, not only of plausible temperatures
      const tFine = i % 2 ? int(-300_000, 600_000) : int(-(2 ** 23), 2 ** 23);
      const adcP = int(0, 0xfffff);
      const fast = compensatePressure(adcP, tFine, cal);
      const ref = compensatePressureInt64(adcP, tFine, cal);
      if (fast !== ref) expect({ adcP, tFine, cal, fast }).toEqual({ adcP, tFine, cal, fast: ref });
    }
  });

  it('integer and floating-point formulas agree across the ADC range', () => {
    for (let adcT = 400_000; adcT <= 600_000; adcT += 20_000) {
      const ti = compensateTemperature(adcT, SIM_CALIBRATION);
      const td = temperatureDouble(adcT, SIM_CALIBRATION);
      expect(Math.abs(ti.centiC / 100 - td.celsius)).toBeLessThan(0.011);
      for (let adcP = 250_000; adcP <= 450_000; adcP += 50_000) {
        const pi = compensatePressure(adcP, ti.tFine, SIM_CALIBRATION) / 256;
        expect(Math.abs(pi - pressureDouble(adcP, td.tFine, SIM_CALIBRATION))).toBeLessThan(1.0);
      }
      for (let adcH = 20_000; adcH <= 40_000; adcH += 4_000) {
        const hi = compensateHumidity(adcH, ti.tFine, SIM_CALIBRATION) / 1024;
        expect(Math.abs(hi - humidityDouble(adcH, td.tFine, SIM_CALIBRATION))).toBeLessThan(0.05);
      }
    }
  });

  it('humidity is Q22.10: 47445 means 46.333 %RH and the formula clamps to 0..100', () => {
    expect(47445 / 1024).toBeCloseTo(46.333, 3);
    const { tFine } = compensateTemperature(519888, SIM_CALIBRATION);
    expect(compensateHumidity(0, tFine, SIM_CALIBRATION)).toBe(0);
    expect(compensateHumidity(0xffff, tFine, SIM_CALIBRATION) / 1024).toBeLessThanOrEqual(100);
  });

  it('calibration bytes round-trip, including the split H4/H5 nibbles of 0xE5', () => {
    const cal = { ...SIM_CALIBRATION, H4: -300, H5: 1234, H2: -5, H6: -7 };
    const { a, b } = nvmImage(cal); // the simulator's NVM, laid out independently from table 16
    expect(parseCalibration(a, b)).toEqual(cal);
    // H4 = 0xE4<<4 | 0xE5[3:0]; H5 = 0xE6<<4 | 0xE5[7:4]
    const raw = Uint8Array.of(0x6a, 0x01, 0x00, 0x13, 0x25, 0x03, 0x1e);
    const parsed = parseCalibration(new Uint8Array(26).fill(1), raw);
    expect(parsed.H2).toBe(362);
    expect(parsed.H4).toBe((0x13 << 4) | 0x5);
    expect(parsed.H5).toBe((0x03 << 4) | 0x2);
  });

  it('maximum measurement time follows appendix B: all ×1 → 9.3 ms', () => {
    expect(measureTimeMaxMs(1, 1, 1)).toBeCloseTo(9.3, 5);
    expect(measureTimeMaxMs(16, 16, 16)).toBeCloseTo(112.8, 5);
  });
});

describe('BME280 driver against the register-level simulator', () => {
  it('identifies the chip, configures in sleep mode and reads forced-mode conversions', async () => {
    const { sim, driver, clock } = i2cRig(bme280, { oversampling: { temperature: 2, pressure: 16, humidity: 1 }, filter: '4' });
    await driver.init();
    expect(driver.describe()).toMatchObject({ part: 'BME280', chipId: '0x60' });
    await readToEnd(driver, clock); // the first read loads the calibration after the NVM copy
    const s = sim as Bme280Simulator;
    expect(s.peek(REG.CONFIG)).toBe(2 << 2); // filter 4 → code 2 in bits [4:2]
    expect(s.peek(REG.CTRL_HUM)).toBe(1);
    sim.setChannel('temperature', 23.5);
    sim.setChannel('pressure', 1001.3);
    sim.setChannel('humidity', 61.2);
    const r = await driver.read();
    expect('waitMs' in r && r.waitMs).toBe(Math.ceil(measureTimeMaxMs(2, 16, 1)));
    if (!('waitMs' in r)) throw new Error('expected a wait');
    clock.advance(r.waitMs);
    const values = await r.next();
    if ('waitMs' in values) throw new Error('expected values');
    expect(values.values).toEqual([
      { channel: 'temperature', value: 23.5 },
      { channel: 'pressure', value: expect.closeTo(1001.3, 2) },
      { channel: 'humidity', value: expect.closeTo(61.2, 1) },
    ]);
    expect(s.peek(REG.CTRL_MEAS)).toBe((2 << 5) | (5 << 2)); // back in sleep mode after the conversion
    expect(sim.violations).toEqual([]);
  });

  it('the simulator converts again when the world moves or the oversampling changes, and only then', async () => {
    const { sim, driver, clock, bus } = i2cRig(bme280);
    await driver.init();
    sim.setChannel('temperature', 20);
    expect((await readToEnd(driver, clock))[0]?.value).toBe(20);
    expect((await readToEnd(driver, clock))[0]?.value).toBe(20); // nothing moved: the same codes
    sim.setChannel('temperature', 30.5);
    sim.setChannel('humidity', 80);
    const moved = await readToEnd(driver, clock);
    expect(moved[0]?.value).toBe(30.5);
    expect(moved[2]?.value).toBeCloseTo(80, 1);
    sim.setChannel('temperature', 20); // back to the first value: its codes, not the cached ones
    expect((await readToEnd(driver, clock))[0]?.value).toBe(20);
    // humidity skipped (osrs_h 0) then a conversion: the skipped code, not the last one
    await bus.writeRegister(0x76, REG.CTRL_HUM, Uint8Array.of(0));
    await bus.writeRegister(0x76, REG.CTRL_MEAS, Uint8Array.of((1 << 5) | (1 << 2) | 1));
    clock.advance(20);
    expect(Array.from(await bus.readRegister(0x76, REG.DATA + 6, 2))).toEqual([0x80, 0x00]);
    expect(sim.violations).toEqual([]);
  });

  it('a driver that reads before the conversion time is caught by the simulator', async () => {
    const { sim, driver, clock } = i2cRig(bme280);
    await driver.init();
    await readToEnd(driver, clock);
    const r = await driver.read();
    if (!('waitMs' in r)) throw new Error('expected a wait');
    await r.next(); // the previous conversion's bytes: a stale reading the part does not flag
    expect(sim.violations).toContain('data registers read while measuring (wait for the conversion time)');
  });

  it('wrong chip id is WRONG_CHIP_ID naming what was found', async () => {
    const { sim, driver } = i2cRig(bme280);
    (sim as Bme280Simulator).setChipId(0x58);
    await expect(driver.init()).rejects.toMatchObject({ code: 'WRONG_CHIP_ID', message: expect.stringContaining('BMP280') });
    (sim as Bme280Simulator).setChipId(0x42);
    await expect(driver.init()).rejects.toMatchObject({ code: 'WRONG_CHIP_ID', message: expect.stringContaining('0x42') });
  });

  it('BMP280 variant reads temperature and pressure only and never touches ctrl_hum', async () => {
    const { sim, driver, clock } = i2cRig(bme280, { variant: 'bmp280' });
    await driver.init();
    sim.setChannel('temperature', -12.25);
    const values = await readToEnd(driver, clock);
    expect(values.map((v) => v.channel)).toEqual(['temperature', 'pressure']);
    expect(values[0]?.value).toBe(-12.25);
    expect(sim.violations).toEqual([]);
  });

  it('the simulator refuses writes the chip would refuse', async () => {
    const clock = new ManualClock();
    const bus = new SimulatedI2cBus('b');
    const sim = new Bme280Simulator(clock);
    bus.attach(0x76, sim);
    await expect(bus.writeRegister(0x76, REG.CHIP_ID, Uint8Array.of(1))).rejects.toMatchObject({ code: 'I2C_NACK' });
    await expect(bus.writeRegister(0x76, REG.CTRL_HUM, Uint8Array.of(0x08))).rejects.toMatchObject({ code: 'I2C_NACK' });
    await bus.writeRegister(0x76, REG.CTRL_MEAS, Uint8Array.of(0x27)); // normal mode
    await expect(bus.writeRegister(0x76, REG.CONFIG, Uint8Array.of(0x10))).rejects.toMatchObject({ code: 'I2C_NACK' });
    expect(sim.violations).toHaveLength(3);
  });

  it('soft reset restores reset values; init runs again afterwards', async () => {
    const { sim, driver, clock } = i2cRig(bme280, { filter: '16' });
    await driver.init();
    await driver.reset?.();
    expect((sim as Bme280Simulator).peek(REG.CONFIG)).toBe(0);
    await expect(driver.read()).rejects.toMatchObject({ code: 'DEVICE_FAULT' });
    await driver.init();
    expect((await readToEnd(driver, clock)).length).toBe(3);
  });

  it('start: soft reset, then calibration only after status.im_update clears (the scheduler waits)', async () => {
    const { sim, driver, clock, bus } = i2cRig(bme280);
    const s = sim as Bme280Simulator;
    await driver.init();
    // the reset restarted the NVM copy: im_update is set and calibration is not readable yet
    expect((await bus.readRegister(0x76, REG.STATUS, 1))[0]).toBe(0x01);
    const first = await driver.read();
    expect(first).toMatchObject({ waitMs: expect.any(Number) });
    const values = await readToEnd(driver, clock);
    expect(values.map((v) => v.channel)).toEqual(['temperature', 'pressure', 'humidity']);
    expect(s.violations).toEqual([]);
    // a driver that reads as soon as it reset the part gets zeros and is caught
    await bus.writeRegister(0x76, REG.RESET, Uint8Array.of(0xb6));
    expect((await bus.readRegister(0x76, REG.CALIB_00, 2)).every((b) => b === 0)).toBe(true);
    expect(s.violations).toEqual(['calibration read while status.im_update is set (NVM copy after reset not finished)']);
    clock.advance(NVM_COPY_MS);
    expect((await bus.readRegister(0x76, REG.STATUS, 1))[0]).toBe(0);
    expect(Array.from(await bus.readRegister(0x76, REG.CALIB_00, 2))).toEqual([27504 & 0xff, 27504 >> 8]);
  });

  it('an NVM copy that never ends is a retryable BAD_RESPONSE, not a read of garbage calibration', async () => {
    const { sim, driver, clock } = i2cRig(bme280);
    await driver.init();
    (sim as Bme280Simulator).holdNvmCopy(); // test face: im_update stuck (a damaged part)
    await expect(readToEnd(driver, clock)).rejects.toMatchObject({ code: 'BAD_RESPONSE', retryable: true, message: expect.stringContaining('im_update') });
    expect(sim.violations).toEqual([]);
  });

  it('scan identification names the part by chip id', async () => {
    const { bus } = i2cRig(bme280);
    expect(await bme280.i2c?.identify?.(bus, 0x76)).toBe('BME280 (chip id 0x60)');
  });
});
