import type { Clock } from '../../bus/clock.js';
import { I2cSimDevice, type SampleRange } from '../../sim/i2c-target.js';
import type { Calibration } from './compensation.js';
import {
  CHIP_ID_BME280,
  CHIP_ID_BMP280,
  MODE_NORMAL,
  MODE_SLEEP,
  REG,
  RESET_WORD,
  SKIPPED_16BIT,
  SKIPPED_20BIT,
  STATUS_IM_UPDATE,
  STATUS_MEASURING,
  measureTimeMaxMs,
} from './registers.js';

/**
 * Trimming of the simulated part. T and P are the worked example of the BMP280 datasheet
 * (section 3.12); H values are typical of production BME280 parts.
 */
export const SIM_CALIBRATION: Calibration = {
  T1: 27504, T2: 26435, T3: -1000,
  P1: 36477, P2: -10685, P3: 3024, P4: 2855, P5: 140, P6: -7, P7: 15500, P8: -14600, P9: 6000,
  H1: 75, H2: 362, H3: 0, H4: 313, H5: 50, H6: 30,
};

const OSRS_FACTOR = [0, 1, 2, 4, 8, 16, 16, 16] as const;

/**
 * How long the NVM → image-register copy runs after a power-on or soft reset (status.im_update
 * set, datasheet 5.4.4); the datasheet's start-up time is 2 ms (table 1). Calibration read
 * during it is not valid yet: the image registers read 0x00 here, as they hold nothing.
 */
export const NVM_COPY_MS = 2;

/*
 * The simulator's physics is written from the datasheet independently of the driver, so that a
 * mistake in the driver's conversion cannot be mirrored here (the contract suite would then
 * pass with it): the trimming NVM is laid out from table 16, and raw codes are found by bisection
 * over the floating-point forward formulas of section 8.1 (BME280_compensate_T/P/H_double),
 * not over the driver's integer formulas of 4.2.3.
 */

/** Trimming bytes as the NVM holds them (table 16): 26 bytes from 0x88 and 7 bytes from 0xE1. */
export function nvmImage(c: Calibration): { a: Uint8Array; b: Uint8Array } {
  const le = (v: number): [number, number] => [v & 0xff, (v >> 8) & 0xff];
  const a = Uint8Array.from([
    ...le(c.T1), ...le(c.T2), ...le(c.T3),
    ...le(c.P1), ...le(c.P2), ...le(c.P3), ...le(c.P4), ...le(c.P5), ...le(c.P6), ...le(c.P7), ...le(c.P8), ...le(c.P9),
    0x00, // 0xA0 unused
    c.H1 & 0xff, // 0xA1 dig_H1
  ]);
  // 0xE4 = H4[11:4], 0xE5 = H5[3:0] in bits 7:4 and H4[3:0] in bits 3:0, 0xE6 = H5[11:4]
  const b = Uint8Array.of(c.H2 & 0xff, (c.H2 >> 8) & 0xff, c.H3 & 0xff, (c.H4 >> 4) & 0xff, ((c.H5 & 0x0f) << 4) | (c.H4 & 0x0f), (c.H5 >> 4) & 0xff, c.H6 & 0xff);
  return { a, b };
}

/** Datasheet 8.1 temperature (double): t_fine and °C of a 20-bit code. */
export function forwardTemperature(adcT: number, c: Calibration): { tFine: number; celsius: number } {
  const var1 = (adcT / 16384 - c.T1 / 1024) * c.T2;
  const d = adcT / 131072 - c.T1 / 8192;
  const var2 = d * d * c.T3;
  return { tFine: var1 + var2, celsius: (var1 + var2) / 5120 };
}

/** Datasheet 8.1 pressure (double), Pa. */
export function forwardPressure(adcP: number, tFine: number, c: Calibration): number {
  let var1 = tFine / 2 - 64000;
  let var2 = (var1 * var1 * c.P6) / 32768;
  var2 = var2 + var1 * c.P5 * 2;
  var2 = var2 / 4 + c.P4 * 65536;
  var1 = ((c.P3 * var1 * var1) / 524288 + c.P2 * var1) / 524288;
  var1 = (1 + var1 / 32768) * c.P1;
  if (var1 === 0) return 0;
  let p = 1048576 - adcP;
  p = ((p - var2 / 4096) * 6250) / var1;
  return p + ((c.P9 * p * p) / 2147483648 + (p * c.P8) / 32768 + c.P7) / 16;
}

/** Datasheet 8.1 humidity (double), %RH, clamped to 0..100 as the datasheet does. */
export function forwardHumidity(adcH: number, tFine: number, c: Calibration): number {
  let h = tFine - 76800;
  h = (adcH - (c.H4 * 64 + (c.H5 / 16384) * h)) * ((c.H2 / 65536) * (1 + (c.H6 / 67108864) * h * (1 + (c.H3 / 67108864) * h)));
  h = h * (1 - (c.H1 * h) / 524288);
  return Math.min(100, Math.max(0, h));
}

function isCalibration(reg: number): boolean {
  return (reg >= REG.CALIB_00 && reg <= REG.DIG_H1) || (reg >= REG.CALIB_26 && reg <= REG.CALIB_26 + 6);
}

/** Bisection over an ADC range for the code whose forward value is closest to target. */
function invert(bits: number, target: number, f: (adc: number) => number): number {
  let lo = 0;
  let hi = 2 ** bits - 1;
  const increasing = f(hi) > f(lo);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (f(mid) < target === increasing) lo = mid;
    else hi = mid;
  }
  return Math.abs(f(lo) - target) <= Math.abs(f(hi) - target) ? lo : hi;
}

/**
 * Register-level BME280 (or BMP280 with variant 'bmp280'). Honours:
 * - chip id, calibration NVM, reset values (ctrl_* = 0x00, data = 0x80000 "skipped")
 * - writes are (register, value) pairs with no auto-increment (datasheet 6.2.1); reads
 *   auto-increment from the pointer
 * - read-only registers and reserved bits refuse writes (recorded as violations)
 * - ctrl_hum takes effect only after a write to ctrl_meas (5.4.3)
 * - config writes in normal mode may be ignored by the chip: refused here (5.4.6)
 * - after power-on and soft reset (0xE0 ← 0xB6) status.im_update is set for NVM_COPY_MS while
 *   the trimming NVM is copied; calibration read during it reads 0x00 and is a violation
 * - forced mode: measuring bit set for the datasheet's max measurement time, data registers
 *   update at the end, then the chip returns to sleep; reading data early is a violation
 */
export class Bme280Simulator extends I2cSimDevice {
  readonly part: string;
  readonly channels: readonly string[];
  private readonly regs = new Uint8Array(256);
  private pointer = 0;
  private ctrlHumShadow = 0; // written value, latched into effect by a ctrl_meas write
  private ctrlHumActive = 0;
  private measureEndsAt = Number.NEGATIVE_INFINITY;
  private nvmCopyEndsAt = Number.NEGATIVE_INFINITY;
  private pendingSample = false;
  private chipId: number;
  private temperature = 21.5;
  private pressure = 1013.25;
  private humidity = 45;
  private readonly cal: Calibration;
  /**
   * The codes of the last conversion and what they were found from (physical values and
   * oversampling): a part whose world has not moved since gives the same codes again without
   * the bisection (the world model moves once a second, the part is read ten times a second).
   */
  private readonly latched = { temperature: Number.NaN, pressure: Number.NaN, humidity: Number.NaN, meas: -1, hum: -1, adcT: 0, adcP: 0, adcH: 0 };

  constructor(clock: Clock, readonly variant: 'bme280' | 'bmp280' = 'bme280', cal: Calibration = SIM_CALIBRATION) {
    super(clock);
    this.cal = cal;
    this.part = variant === 'bme280' ? 'BME280' : 'BMP280';
    this.channels = variant === 'bme280' ? ['temperature', 'pressure', 'humidity'] : ['temperature', 'pressure'];
    this.chipId = variant === 'bme280' ? CHIP_ID_BME280 : CHIP_ID_BMP280;
    this.powerOn();
  }

  /** Test face: the NVM copy never finishes (status.im_update stays set; a damaged part). */
  holdNvmCopy(): void {
    this.nvmCopyEndsAt = Number.POSITIVE_INFINITY;
  }

  /** Test face: make the part answer with a different chip id (a swapped or fake part). */
  setChipId(id: number): void {
    this.chipId = id;
    this.regs[REG.CHIP_ID] = id;
  }

  private powerOn(): void {
    this.regs.fill(0);
    const { a, b } = nvmImage(this.cal);
    this.regs.set(a, REG.CALIB_00);
    this.regs.set(b, REG.CALIB_26);
    this.nvmCopyEndsAt = this.clock.monoMs() + NVM_COPY_MS;
    this.regs[REG.CHIP_ID] = this.chipId;
    // data registers reset to 0x80000 / 0x8000 (datasheet table 18)
    this.regs.set([0x80, 0x00, 0x00, 0x80, 0x00, 0x00, 0x80, 0x00], REG.DATA);
    this.ctrlHumShadow = 0;
    this.ctrlHumActive = 0;
    this.measureEndsAt = Number.NEGATIVE_INFINITY;
    this.pendingSample = false;
    this.latched.meas = -1;
  }

  sampleRange(channel: string): SampleRange {
    switch (channel) {
      case 'temperature':
        return { min: -40, max: 85, tolerance: 0.02 };
      case 'pressure':
        return { min: 300, max: 1100, tolerance: 0.02 };
      case 'humidity':
        return { min: 0, max: 100, tolerance: 0.05 };
      default:
        throw new Error(`BME280 simulator has no channel ${channel}`);
    }
  }

  protected applyChannel(channel: string, value: number): void {
    if (channel === 'temperature') this.temperature = value;
    else if (channel === 'pressure') this.pressure = value;
    else this.humidity = value;
  }

  private mode(): number {
    return (this.regs[REG.CTRL_MEAS] as number) & 0b11;
  }

  /** Bring the data registers up to date with the clock. */
  private tick(): void {
    const now = this.clock.monoMs();
    if (this.pendingSample && now >= this.measureEndsAt) {
      this.pendingSample = false;
      this.latchData();
      if (this.mode() !== MODE_NORMAL) this.regs[REG.CTRL_MEAS] = (this.regs[REG.CTRL_MEAS] as number) & ~0b11;
    }
    if (this.mode() === MODE_NORMAL && !this.pendingSample) this.latchData();
  }

  private measuring(): boolean {
    return this.pendingSample && this.clock.monoMs() < this.measureEndsAt;
  }

  /** Encode the physical values into ADC codes with the inverse compensation. */
  private latchData(): void {
    const meas = this.regs[REG.CTRL_MEAS] as number;
    const osrsT = (meas >> 5) & 7;
    const osrsP = (meas >> 2) & 7;
    const osrsH = this.ctrlHumActive & 7;
    const l = this.latched;
    if (l.meas !== (meas & 0xfc) || l.hum !== osrsH || l.temperature !== this.temperature || l.pressure !== this.pressure || l.humidity !== this.humidity) {
      const c = this.cal;
      const adcT = osrsT ? invert(20, this.temperature, (a) => forwardTemperature(a, c).celsius) : SKIPPED_20BIT;
      const tFine = forwardTemperature(osrsT ? adcT : SKIPPED_20BIT, c).tFine;
      l.adcT = adcT;
      l.adcP = osrsP ? invert(20, this.pressure * 100, (a) => forwardPressure(a, tFine, c)) : SKIPPED_20BIT;
      l.adcH = osrsH ? invert(16, this.humidity, (a) => forwardHumidity(a, tFine, c)) : SKIPPED_16BIT;
      l.meas = meas & 0xfc;
      l.hum = osrsH;
      l.temperature = this.temperature;
      l.pressure = this.pressure;
      l.humidity = this.humidity;
    }
    const r = this.regs;
    const { adcT, adcP } = l;
    r[REG.DATA] = (adcP >> 12) & 0xff;
    r[REG.DATA + 1] = (adcP >> 4) & 0xff;
    r[REG.DATA + 2] = (adcP & 0x0f) << 4;
    r[REG.DATA + 3] = (adcT >> 12) & 0xff;
    r[REG.DATA + 4] = (adcT >> 4) & 0xff;
    r[REG.DATA + 5] = (adcT & 0x0f) << 4;
    if (this.variant === 'bme280') {
      r[REG.DATA + 6] = (l.adcH >> 8) & 0xff;
      r[REG.DATA + 7] = l.adcH & 0xff;
    }
  }

  onWrite(data: Uint8Array): void {
    if (data.length === 0) return;
    this.tick();
    // a lone byte sets the read pointer; longer writes are (register, value) pairs with no
    // auto-increment (datasheet 6.2.1)
    this.pointer = data[0] as number;
    if (data.length > 1 && data.length % 2 !== 0) this.refuse(`write of ${data.length} bytes is not (register, value) pairs`);
    for (let i = 0; i + 1 < data.length; i += 2) this.writeRegister(data[i] as number, data[i + 1] as number);
  }

  private writeRegister(reg: number, value: number): void {
    switch (reg) {
      case REG.RESET:
        if (value === RESET_WORD) this.powerOn();
        return;
      case REG.CTRL_HUM:
        if (this.variant !== 'bme280') this.refuse(`write to ctrl_hum 0xF2: the BMP280 has no humidity`);
        if (value & 0xf8) this.refuse(`write 0x${value.toString(16)} to ctrl_hum sets reserved bits [7:3]`);
        this.ctrlHumShadow = value;
        return;
      case REG.CTRL_MEAS: {
        if (this.measuring()) this.violations.push('ctrl_meas written while a conversion was running');
        this.regs[REG.CTRL_MEAS] = value;
        this.ctrlHumActive = this.ctrlHumShadow;
        const mode = value & 0b11;
        if (mode === 0b01 || mode === 0b10) {
          const f = (x: number): number => OSRS_FACTOR[x & 7] as number;
          const t = measureTimeMaxMs(f(value >> 5), f(value >> 2), this.variant === 'bme280' ? f(this.ctrlHumActive) : 0);
          this.measureEndsAt = this.clock.monoMs() + t;
          this.pendingSample = true;
        } else if (mode === MODE_NORMAL) {
          this.latchData();
        }
        return;
      }
      case REG.CONFIG:
        if (value & 0x02) this.refuse(`write 0x${value.toString(16)} to config sets reserved bit 1`);
        if (this.mode() === MODE_NORMAL) this.refuse('config written in normal mode (the chip may ignore it; write it in sleep mode)');
        this.regs[REG.CONFIG] = value;
        return;
      default:
        this.refuse(`write to read-only or reserved register 0x${reg.toString(16)}`);
    }
  }

  onRead(length: number): Uint8Array {
    this.tick();
    if (this.pointer >= REG.DATA && this.pointer <= 0xfe && this.measuring()) {
      this.violations.push('data registers read while measuring (wait for the conversion time)');
    }
    const copying = this.clock.monoMs() < this.nvmCopyEndsAt;
    const out = new Uint8Array(length);
    let calibrationEarly = false;
    for (let i = 0; i < length; i++) {
      const reg = (this.pointer + i) & 0xff;
      if (copying && isCalibration(reg)) {
        calibrationEarly = true;
        out[i] = 0; // the image registers are not loaded yet
      } else if (reg === REG.STATUS) {
        out[i] = (this.measuring() ? STATUS_MEASURING : 0) | (copying ? STATUS_IM_UPDATE : 0);
      } else {
        out[i] = reg === REG.CTRL_HUM ? this.ctrlHumShadow : (this.regs[reg] as number);
      }
    }
    if (calibrationEarly) this.violations.push('calibration read while status.im_update is set (NVM copy after reset not finished)');
    this.pointer = (this.pointer + length) & 0xff;
    return out;
  }

  /** For tests: the register file as the chip holds it now. */
  peek(reg: number): number {
    this.tick();
    return reg === REG.CTRL_HUM ? this.ctrlHumShadow : (this.regs[reg] as number);
  }

  get sleeping(): boolean {
    this.tick();
    return this.mode() === MODE_SLEEP;
  }
}
