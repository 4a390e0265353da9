import { type I2cBus, hex } from '../../bus/i2c.js';
import type { Clock } from '../../bus/clock.js';
import { DeviceError } from '../../errors.js';
import type { ChannelSpec, ChannelValue, DevicePart, Driver, ReadResult } from '../../types.js';
import { commandBytes, sensirionHumidity, sensirionTemperature, unpackWords } from '../sensirion.js';
import { ADDRESSES, CMD, MEASURE_MAX_MS, SINGLE_SHOT, SOFT_RESET_MS, STATUS } from './registers.js';
import type { Sht3xOptions } from './schema.js';

const CHANNELS: readonly ChannelSpec[] = [
  // resolution (datasheet table 1-2): 0.01 °C, 0.01 %RH
  { name: 'temperature', unit: '°C', min: -40, max: 125, decimals: 2 },
  { name: 'humidity', unit: '%RH', min: 0, max: 100, decimals: 2 },
];

/** Round to 0.01: the sensor resolves 0.0027 °C / 0.0015 %RH but is accurate to ±0.2 °C / ±2 %RH. */
const centi = (v: number): number => Math.round(v * 100) / 100;

/** Read the status register (command 0xF32D, one word + CRC). */
async function readStatus(bus: I2cBus, address: number, where: string): Promise<number> {
  await bus.write(address, commandBytes(CMD.READ_STATUS));
  return unpackWords(await bus.read(address, 3), `${where} status`)[0] as number;
}

/**
 * SHT3x in single-shot mode. Without clock stretching (the default) read() sends the command,
 * asks the scheduler to come back after the maximum measurement time, then reads 6 bytes
 * (T word, CRC, RH word, CRC). With clock stretching the read follows the command at once and
 * the sensor holds SCL until it is done.
 */
export class Sht3xDriver implements Driver {
  readonly channels = CHANNELS;
  private status: number | undefined;
  private notBefore = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly bus: I2cBus,
    private readonly options: Sht3xOptions,
    private readonly clock: Clock,
  ) {}

  private get where(): string {
    return `${this.bus.name} ${hex(this.options.address)}`;
  }

  async init(): Promise<void> {
    if (this.clock.monoMs() < this.notBefore) {
      throw new DeviceError('DEVICE_BUSY', `${this.where}: still in its 1.5 ms soft reset`, { retryable: true });
    }
    const a = this.options.address;
    this.status = undefined;
    await this.bus.lock.run(async () => {
      // the status word with a valid CRC proves a Sensirion SHT3x answers (it has no chip id)
      const status = await readStatus(this.bus, a, this.where);
      await this.bus.write(a, commandBytes(this.options.heater ? CMD.HEATER_ENABLE : CMD.HEATER_DISABLE));
      await this.bus.write(a, commandBytes(CMD.CLEAR_STATUS));
      this.status = status;
    });
  }

  async read(): Promise<ReadResult> {
    if (this.status === undefined) throw new DeviceError('DEVICE_FAULT', `${this.where}: read before init`);
    const a = this.options.address;
    const rep = this.options.repeatability;
    if (this.options.clockStretching) {
      const bytes = await this.bus.lock.run(async () => {
        await this.bus.write(a, commandBytes(SINGLE_SHOT.stretch[rep]));
        return this.bus.read(a, 6);
      });
      return { values: this.convert(bytes) };
    }
    await this.bus.lock.run(() => this.bus.write(a, commandBytes(SINGLE_SHOT.noStretch[rep])));
    return {
      waitMs: MEASURE_MAX_MS[rep],
      next: async (): Promise<ReadResult> => ({ values: this.convert(await this.bus.lock.run(() => this.bus.read(a, 6))) }),
    };
  }

  private convert(bytes: Uint8Array): ChannelValue[] {
    const [t, rh] = unpackWords(bytes, `${this.where} measurement`) as [number, number];
    return [
      { channel: 'temperature', value: centi(sensirionTemperature(t)) },
      { channel: 'humidity', value: centi(sensirionHumidity(rh)) },
    ];
  }

  async reset(): Promise<void> {
    if (this.clock.monoMs() < this.notBefore) return; // a soft reset is already under way
    await this.bus.lock.run(() => this.bus.write(this.options.address, commandBytes(CMD.SOFT_RESET)));
    this.notBefore = this.clock.monoMs() + SOFT_RESET_MS;
    this.status = undefined;
  }

  describe(): Readonly<Record<string, string | number | boolean>> {
    const s = this.status ?? 0;
    return {
      part: 'SHT3x',
      status: hex(s, 4),
      heater: (s & STATUS.HEATER_ON) !== 0,
      resetSinceLastInit: (s & STATUS.RESET_DETECTED) !== 0,
      bus: this.bus.name,
      address: hex(this.options.address),
    };
  }
}

export const sht3xPart: DevicePart<Sht3xOptions> = {
  type: 'sht3x',
  title: 'Sensirion SHT3x (SHT30/31/35) temperature and humidity',
  bus: 'i2c',
  example: { type: 'sht3x', address: 0x44, interval: '10s' },
  channels: () => CHANNELS,
  create: (o, ctx) => new Sht3xDriver(ctx.buses.i2c(o.bus), o, ctx.clock),
  i2c: {
    addresses: ADDRESSES,
    address: (o) => o.address,
    async identify(bus, address) {
      try {
        const status = await readStatus(bus, address, `${bus.name} ${hex(address)}`);
        return `SHT3x (status ${hex(status, 4)})`;
      } catch (e) {
        if (e instanceof DeviceError && (e.code === 'CRC_MISMATCH' || e.code === 'BAD_RESPONSE')) return undefined;
        throw e;
      }
    },
  },
};
