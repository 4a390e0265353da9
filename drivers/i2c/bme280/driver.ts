import type { I2cBus } from '../../bus/i2c.js';
import { hex } from '../../bus/i2c.js';
import { DeviceError } from '../../errors.js';
import type { ChannelSpec, DeviceContext, DevicePart, Driver, ReadResult } from '../../types.js';
import {
  type Calibration,
  compensateHumidity,
  compensatePressure,
  compensateTemperature,
  parseCalibration,
} from './compensation.js';
import {
  ADDRESSES,
  CHIP_ID_BME280,
  CHIP_ID_BMP280,
  CHIP_IDS_BMP280_SAMPLES,
  FILTER_CODE,
  MODE_FORCED,
  MODE_SLEEP,
  OSRS_CODE,
  REG,
  RESET_WORD,
  SKIPPED_16BIT,
  SKIPPED_20BIT,
  STARTUP_MS,
  STATUS_IM_UPDATE,
  measureTimeMaxMs,
} from './registers.js';
import type { Bme280Options } from './schema.js';

const CHANNELS_BME280: readonly ChannelSpec[] = [
  // resolution (datasheet table 1-3): 0.01 °C, 0.18 Pa = 0.0018 hPa, 0.008 %RH
  { name: 'temperature', unit: '°C', min: -40, max: 85, decimals: 2 },
  { name: 'pressure', unit: 'hPa', min: 300, max: 1100, decimals: 3 },
  { name: 'humidity', unit: '%RH', min: 0, max: 100, decimals: 3 },
];
const CHANNELS_BMP280 = CHANNELS_BME280.slice(0, 2);

/** im_update polls, 1 ms apart, after the start-up time before the part counts as broken */
const NVM_POLLS = 5;

function chipName(id: number): string | undefined {
  if (id === CHIP_ID_BME280) return 'BME280';
  if (id === CHIP_ID_BMP280 || (CHIP_IDS_BMP280_SAMPLES as readonly number[]).includes(id)) return 'BMP280';
  return undefined;
}

/**
 * BME280 in forced mode: each read() writes ctrl_meas with mode=forced, asks the scheduler to
 * come back after the datasheet's maximum measurement time, then burst-reads the data registers
 * (one burst, so the chip's shadowing keeps the bytes of one conversion together, datasheet 4).
 */
export class Bme280Driver implements Driver {
  readonly channels: readonly ChannelSpec[];
  private cal: Calibration | undefined;
  private chipId = 0;
  private readonly ctrlMeasForced: Uint8Array;
  private readonly waitMs: number;
  /** the calibration the conversion under way is converted with */
  private measuring: Calibration | undefined;
  /**
   * What measure() gives back, made once: "come back after the conversion time, then read the
   * data registers". Reads of one device are serialised by its runner, so one is enough.
   */
  private readonly conversion: ReadResult;

  constructor(
    private readonly bus: I2cBus,
    private readonly options: Bme280Options,
  ) {
    this.channels = options.variant === 'bme280' ? CHANNELS_BME280 : CHANNELS_BMP280;
    const os = options.oversampling;
    this.ctrlMeasForced = Uint8Array.of(((OSRS_CODE[os.temperature] ?? 1) << 5) | ((OSRS_CODE[os.pressure] ?? 1) << 2) | MODE_FORCED);
    this.waitMs = Math.ceil(measureTimeMaxMs(os.temperature, os.pressure, options.variant === 'bme280' ? os.humidity : 0));
    this.conversion = Object.freeze({ waitMs: this.waitMs, next: () => this.readData() });
  }

  private get where(): string {
    return `${this.bus.name} ${hex(this.options.address)}`;
  }

  /**
   * Identify the part, then soft-reset it (0xE0 ← 0xB6, datasheet 5.4.2) so it starts from its
   * reset state whatever a previous run left. The trimming NVM is copied into the image
   * registers after a reset (status.im_update, 5.4.4); the calibration is read in the first
   * read(), once the scheduler has come back after the start-up time and im_update is clear,
   * as Bosch's BME280_SensorAPI and Zephyr's driver do. A driver never sleeps.
   */
  async init(): Promise<void> {
    const a = this.options.address;
    await this.bus.lock.run(async () => {
      const id = (await this.bus.readRegister(a, REG.CHIP_ID, 1))[0] as number;
      const found = chipName(id);
      const want = this.options.variant === 'bme280' ? 'BME280' : 'BMP280';
      if (found !== want) {
        const hint = found ? `; set variant: ${found.toLowerCase()} in the profile` : '';
        throw new DeviceError('WRONG_CHIP_ID', `${this.where}: chip id ${hex(id)} is ${found ?? 'not a Bosch BMx280'}, profile expects ${want}${hint}`, {
          details: { chipId: id, expected: want },
        });
      }
      this.chipId = id;
      this.cal = undefined;
      await this.bus.writeRegister(a, REG.RESET, Uint8Array.of(RESET_WORD));
    });
  }

  /** Poll status.im_update after the start-up time; read the calibration and configure once clear. */
  private async loadCalibration(polls: number): Promise<ReadResult> {
    const a = this.options.address;
    const status = (await this.bus.lock.run(() => this.bus.readRegister(a, REG.STATUS, 1)))[0] as number;
    if (status & STATUS_IM_UPDATE) {
      if (polls >= NVM_POLLS) {
        throw new DeviceError('BAD_RESPONSE', `${this.where}: status.im_update still set ${polls} ms after reset (NVM copy never finished)`, {
          retryable: true,
          details: { status },
        });
      }
      return { waitMs: 1, next: () => this.loadCalibration(polls + 1) };
    }
    await this.bus.lock.run(async () => {
      const lo = await this.bus.readRegister(a, REG.CALIB_00, 26);
      const hi = this.options.variant === 'bme280' ? await this.bus.readRegister(a, REG.CALIB_26, 7) : new Uint8Array(7);
      const cal = parseCalibration(lo, hi);
      if (cal.T1 === 0 || cal.P1 === 0) {
        throw new DeviceError('BAD_RESPONSE', `${this.where}: calibration NVM reads as zero (dig_T1 ${cal.T1}, dig_P1 ${cal.P1})`, {
          retryable: true,
        });
      }
      // sleep mode first: config writes are ignored in normal mode (datasheet 5.4.6)
      await this.bus.writeRegister(a, REG.CTRL_MEAS, Uint8Array.of(MODE_SLEEP));
      await this.bus.writeRegister(a, REG.CONFIG, Uint8Array.of((FILTER_CODE[this.options.filter] ?? 0) << 2));
      if (this.options.variant === 'bme280') {
        // ctrl_hum only takes effect after the next ctrl_meas write (5.4.3), which measure() does
        await this.bus.writeRegister(a, REG.CTRL_HUM, Uint8Array.of(OSRS_CODE[this.options.oversampling.humidity] ?? 1));
      }
      this.cal = cal;
    });
    return this.measure();
  }

  read(): Promise<ReadResult> {
    if (!this.chipId) return Promise.reject(new DeviceError('DEVICE_FAULT', `${this.where}: read before init`));
    if (!this.cal) return Promise.resolve({ waitMs: STARTUP_MS, next: () => this.loadCalibration(0) });
    return this.measure();
  }

  private measure(): Promise<ReadResult> {
    this.measuring = this.cal;
    return this.bus.lock.run(this.startConversion).then(this.converting);
  }

  private readonly converting = (): ReadResult => this.conversion;

  private readonly startConversion = (): Promise<void> => this.bus.writeRegister(this.options.address, REG.CTRL_MEAS, this.ctrlMeasForced);

  private readonly readDataRegisters = (): Promise<Uint8Array> =>
    this.bus.readRegister(this.options.address, REG.DATA, this.options.variant === 'bme280' ? 8 : 6);

  private async readData(): Promise<ReadResult> {
    const cal = this.measuring;
    if (!cal) throw new DeviceError('DEVICE_FAULT', `${this.where}: data read without a conversion started`);
    const d = await this.bus.lock.run(this.readDataRegisters);
    return { values: this.convert(d, cal) };
  }

  private convert(d: Uint8Array, cal: Calibration): { channel: string; value: number }[] {
    const b = (i: number): number => d[i] as number;
    const adcP = (b(0) << 12) | (b(1) << 4) | (b(2) >> 4);
    const adcT = (b(3) << 12) | (b(4) << 4) | (b(5) >> 4);
    if (adcT === SKIPPED_20BIT || adcP === SKIPPED_20BIT || adcT === 0xfffff || adcP === 0xfffff) {
      throw new DeviceError('BAD_RESPONSE', `${this.where}: raw data ${hex(adcT, 5)}/${hex(adcP, 5)} is a reset or floating-bus value`, {
        retryable: true,
        details: { adcT, adcP },
      });
    }
    const t = compensateTemperature(adcT, cal);
    const values = [
      { channel: 'temperature', value: t.centiC / 100 },
      { channel: 'pressure', value: compensatePressure(adcP, t.tFine, cal) / 256 / 100 },
    ];
    if (this.options.variant === 'bme280') {
      const adcH = (b(6) << 8) | b(7);
      if (adcH === SKIPPED_16BIT || adcH === 0xffff) {
        throw new DeviceError('BAD_RESPONSE', `${this.where}: raw humidity ${hex(adcH, 4)} is a reset or floating-bus value`, {
          retryable: true,
          details: { adcH },
        });
      }
      values.push({ channel: 'humidity', value: compensateHumidity(adcH, t.tFine, cal) / 1024 });
    }
    return values;
  }

  async reset(): Promise<void> {
    // power-on reset; registers are accessible again after the 2 ms start-up time, and the
    // runtime re-runs init() on its next probe, which is later than that
    await this.bus.lock.run(() => this.bus.writeRegister(this.options.address, REG.RESET, Uint8Array.of(RESET_WORD)));
    this.cal = undefined;
    this.measuring = undefined;
    this.chipId = 0;
  }

  describe(): Readonly<Record<string, string | number | boolean>> {
    return { part: chipName(this.chipId) ?? 'unknown', chipId: hex(this.chipId), bus: this.bus.name, address: hex(this.options.address) };
  }
}

export const bme280Part: DevicePart<Bme280Options> = {
  type: 'bme280',
  title: 'Bosch BME280 / BMP280 temperature, pressure (and humidity)',
  bus: 'i2c',
  example: { type: 'bme280', address: 0x76, interval: '10s' },
  channels: (o) => (o.variant === 'bme280' ? CHANNELS_BME280 : CHANNELS_BMP280),
  create: (o, ctx: DeviceContext) => new Bme280Driver(ctx.buses.i2c(o.bus), o),
  i2c: {
    addresses: ADDRESSES,
    address: (o) => o.address,
    async identify(bus, address) {
      const id = (await bus.readRegister(address, REG.CHIP_ID, 1))[0] as number;
      const name = chipName(id);
      return name ? `${name} (chip id ${hex(id)})` : undefined;
    },
  },
};
