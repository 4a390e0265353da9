import { type I2cBus, hex } from '../../bus/i2c.js';
import { DeviceError } from '../../errors.js';
import { decimalsForStep } from '../../precision.js';
import type { ChannelSpec, ChannelValue, DevicePart, Driver, ReadResult } from '../../types.js';
import {
  ADDRESSES,
  DATA_RATES,
  HI_THRESH_RESET,
  LO_THRESH_RESET,
  MUX,
  OS,
  REG,
  codeToVolts,
  configWord,
  conversionWaitMs,
  muxPins,
  pgaCode,
} from './registers.js';
import { timeoutCovers } from '../read-budget.js';
import { readRegister16, writeRegister16 } from '../register16.js';
import type { Ads1115Input, Ads1115Options } from './schema.js';
import { toValue } from './values.js';

/** A conversion not done after this many 1 ms polls past its expected time is DEVICE_TIMEOUT. */
const MAX_POLLS = 5;

function channels(o: Ads1115Options): readonly ChannelSpec[] {
  return o.inputs.map((i) => {
    // the plausible range: a scaled input reports a transducer, whose span is the scale's
    // values (a soil probe reads 0..100 %; 175 % is a probe off its wire, not wet soil); an
    // unscaled input the voltages the ADC can measure
    const single = muxPins(MUX[i.input])[1] < 0;
    const a = i.scale ? i.scale.values[0] : toValue(i, single ? 0 : -i.fullScale);
    const b = i.scale ? i.scale.values[1] : toValue(i, i.fullScale);
    // one code (LSB = FS / 2¹⁵, datasheet 9.3.3) in the channel's unit
    const step = Math.abs(toValue(i, i.fullScale / 32768) - toValue(i, 0));
    return { name: i.name, unit: i.unit, min: Math.min(a, b), max: Math.max(a, b), decimals: decimalsForStep(step) };
  });
}

/**
 * ADS1115 in single-shot mode, one conversion per declared input per read(): write the config
 * with OS = 1 (MUX and PGA of that input), come back after 1.1 / DR, poll the OS bit until the
 * conversion is done, read the conversion register, scale to the profile's unit.
 */
export class Ads1115Driver implements Driver {
  readonly channels: readonly ChannelSpec[];
  private readonly dr: number;
  private initialised = false;

  constructor(
    private readonly bus: I2cBus,
    private readonly options: Ads1115Options,
  ) {
    this.channels = channels(options);
    this.dr = (DATA_RATES as readonly number[]).indexOf(options.dataRate);
  }

  private get where(): string {
    return `${this.bus.name} ${hex(this.options.address)}`;
  }

  private config(input: Ads1115Input, start: boolean): number {
    return configWord({ mux: MUX[input.input], pga: pgaCode(input.fullScale), single: true, dr: this.dr }, start);
  }

  async init(): Promise<void> {
    const a = this.options.address;
    const first = this.options.inputs[0] as Ads1115Input;
    this.initialised = false;
    await this.bus.lock.run(async () => {
      // single-shot, power-down, comparator off; OS = 0 starts nothing
      const want = this.config(first, false);
      await writeRegister16(this.bus, a, REG.CONFIG, want);
      const got = (await readRegister16(this.bus, a, REG.CONFIG)) & ~OS;
      if (got !== want) {
        throw new DeviceError('BAD_RESPONSE', `${this.where}: config reads back ${hex(got, 4)} after writing ${hex(want, 4)}; is this an ADS1115?`, {
          details: { wrote: want, read: got },
        });
      }
    });
    this.initialised = true;
  }

  async read(): Promise<ReadResult> {
    if (!this.initialised) throw new DeviceError('DEVICE_FAULT', `${this.where}: read before init`);
    return this.convert(0, []);
  }

  private async convert(k: number, values: ChannelValue[]): Promise<ReadResult> {
    const input = this.options.inputs[k] as Ads1115Input;
    await this.bus.lock.run(() => writeRegister16(this.bus, this.options.address, REG.CONFIG, this.config(input, true)));
    return { waitMs: conversionWaitMs(this.options.dataRate), next: () => this.poll(k, values, 0) };
  }

  private async poll(k: number, values: ChannelValue[], polls: number): Promise<ReadResult> {
    const a = this.options.address;
    const input = this.options.inputs[k] as Ads1115Input;
    const raw = await this.bus.lock.run(async () => {
      const cfg = await readRegister16(this.bus, a, REG.CONFIG);
      const want = this.config(input, false);
      if ((cfg & ~OS) !== want) {
        throw new DeviceError('BAD_RESPONSE', `${this.where}: config reads ${hex(cfg, 4)}, expected ${hex(want, 4)} (part reset, or noise on the bus)`, {
          retryable: true,
          details: { read: cfg, expected: want },
        });
      }
      if ((cfg & OS) === 0) return undefined; // still converting
      return readRegister16(this.bus, a, REG.CONVERSION);
    });
    if (raw === undefined) {
      if (polls + 1 >= MAX_POLLS) {
        throw new DeviceError('DEVICE_TIMEOUT', `${this.where}: ${input.name} conversion not done after ${polls + 1} polls (OS bit stays 0)`, { retryable: true });
      }
      return { waitMs: 1, next: () => this.poll(k, values, polls + 1) };
    }
    values.push({ channel: input.name, value: toValue(input, codeToVolts(raw, input.fullScale)) });
    return k + 1 < this.options.inputs.length ? this.convert(k + 1, values) : { values };
  }

  describe(): Readonly<Record<string, string | number | boolean>> {
    return {
      part: 'ADS1115',
      dataRate: this.options.dataRate,
      inputs: this.options.inputs.map((i) => `${i.name}=${i.input}@±${i.fullScale}V`).join(' '),
      bus: this.bus.name,
      address: hex(this.options.address),
    };
  }
}

export const ads1115Part: DevicePart<Ads1115Options> = {
  type: 'ads1115',
  title: 'TI ADS1115 4-channel 16-bit ADC (scaled analog sensors)',
  bus: 'i2c',
  example: {
    type: 'ads1115',
    address: 0x48,
    interval: '1s',
    inputs: [
      { name: 'noise', input: 'ain0', fullScale: 4.096, unit: 'dB', scale: { volts: [0.6, 2.6], values: [30, 130] } },
      { name: 'soil', input: 'ain1', fullScale: 4.096, unit: '%', scale: { volts: [2.8, 1.2], values: [0, 100] } },
      { name: 'bridge', input: 'ain2-ain3', fullScale: 0.256 },
    ],
  },
  channels,
  check: (o) => {
    const each = conversionWaitMs(o.dataRate) + MAX_POLLS;
    return timeoutCovers(o, o.inputs.length * each, `${o.inputs.length} input${o.inputs.length === 1 ? '' : 's'} × ${each} ms at ${o.dataRate} SPS`);
  },
  create: (o, ctx) => new Ads1115Driver(ctx.buses.i2c(o.bus), o),
  i2c: {
    addresses: ADDRESSES,
    address: (o) => o.address,
    async identify(bus, address) {
      // no chip id; the comparator thresholds keep their reset values unless someone uses the
      // comparator, which edgefw never does
      const lo = await readRegister16(bus, address, REG.LO_THRESH);
      const hi = await readRegister16(bus, address, REG.HI_THRESH);
      return lo === LO_THRESH_RESET && hi === HI_THRESH_RESET ? 'ADS1115/ADS1015 (thresholds at reset values)' : undefined;
    },
  },
};
