import { type I2cBus, hex } from '../../bus/i2c.js';
import { DeviceError } from '../../errors.js';
import { decimalsForStep } from '../../precision.js';
import type { ChannelSpec, DevicePart, Driver, ReadResult } from '../../types.js';
import { ADDRESSES, BUS_LSB_V, CNVR, CONFIG_RESERVED, MODE_POWER_DOWN, MODE_TRIGGERED, OVF, REG, SHUNT_RANGES, toInt16 } from './registers.js';
import { timeoutCovers } from '../read-budget.js';
import { readRegister16, writeRegister16 } from '../register16.js';
import type { Ina219Options } from './schema.js';
import { type Ina219Settings, settings } from './settings.js';

/** Polls of CNVR, 1 ms apart, after the expected conversion time before DEVICE_TIMEOUT. */
const MAX_POLLS = 5;

function channels(o: Ina219Options): readonly ChannelSpec[] {
  const iMax = (SHUNT_RANGES[settings(o).gain] as number) / o.shunt.ohms;
  const vMax = o.busRange === 32 ? 32.76 : 16;
  return [
    // bus voltage LSB 4 mV; current and power in steps of the chosen Current_LSB / Power_LSB
    { name: 'voltage', unit: 'V', min: 0, max: vMax, decimals: decimalsForStep(BUS_LSB_V) },
    { name: 'current', unit: 'A', min: -iMax, max: iMax, decimals: decimalsForStep(settings(o).currentLsb) },
    { name: 'power', unit: 'W', min: 0, max: vMax * iMax, decimals: decimalsForStep(settings(o).powerLsb) },
  ];
}

/**
 * INA219 supply monitor in triggered mode: each read() checks the calibration register is
 * still programmed (a brown-out clears it and current would read 0 for ever), triggers one shunt
 * + bus conversion, comes back after the conversion time, polls CNVR, then reads bus voltage,
 * current and power (reading power clears CNVR for the next round).
 */
export class Ina219Driver implements Driver {
  readonly channels: readonly ChannelSpec[];
  private readonly s: Ina219Settings;
  private initialised = false;

  constructor(
    private readonly bus: I2cBus,
    private readonly options: Ina219Options,
  ) {
    this.channels = channels(options);
    this.s = settings(options);
  }

  private get where(): string {
    return `${this.bus.name} ${hex(this.options.address)}`;
  }

  private async program(): Promise<void> {
    const a = this.options.address;
    await writeRegister16(this.bus, a, REG.CONFIG, this.s.configBase | MODE_POWER_DOWN);
    await writeRegister16(this.bus, a, REG.CALIBRATION, this.s.calibration);
  }

  async init(): Promise<void> {
    const a = this.options.address;
    this.initialised = false;
    await this.bus.lock.run(async () => {
      const cfg = await readRegister16(this.bus, a, REG.CONFIG);
      if (cfg & CONFIG_RESERVED) {
        throw new DeviceError('BAD_RESPONSE', `${this.where}: config ${hex(cfg, 4)} has reserved bit 14 set; is this an INA219?`, { details: { config: cfg } });
      }
      await this.program();
      const cal = await readRegister16(this.bus, a, REG.CALIBRATION);
      if (cal !== this.s.calibration) {
        throw new DeviceError('BAD_RESPONSE', `${this.where}: calibration reads back ${hex(cal, 4)} after writing ${hex(this.s.calibration, 4)}`, { retryable: true });
      }
    });
    this.initialised = true;
  }

  async read(): Promise<ReadResult> {
    if (!this.initialised) throw new DeviceError('DEVICE_FAULT', `${this.where}: read before init`);
    const a = this.options.address;
    await this.bus.lock.run(async () => {
      const cal = await readRegister16(this.bus, a, REG.CALIBRATION);
      if (cal !== this.s.calibration) {
        await this.program();
        throw new DeviceError('BAD_RESPONSE', `${this.where}: calibration register reads ${hex(cal, 4)}, expected ${hex(this.s.calibration, 4)}; the INA219 was reset (brown-out?) and has been reprogrammed`, {
          retryable: true,
          details: { calibration: cal },
        });
      }
      await writeRegister16(this.bus, a, REG.CONFIG, this.s.configBase | MODE_TRIGGERED);
    });
    return { waitMs: Math.ceil(this.s.conversionMs * 1.1), next: () => this.poll(0) };
  }

  private async poll(polls: number): Promise<ReadResult> {
    const a = this.options.address;
    const r = await this.bus.lock.run(async () => {
      const busReg = await readRegister16(this.bus, a, REG.BUS);
      if ((busReg & CNVR) === 0) return undefined;
      const current = toInt16(await readRegister16(this.bus, a, REG.CURRENT));
      const power = await readRegister16(this.bus, a, REG.POWER);
      return { busReg, current, power };
    });
    if (!r) {
      if (polls + 1 >= MAX_POLLS) {
        throw new DeviceError('DEVICE_TIMEOUT', `${this.where}: conversion not ready after ${polls + 1} polls (CNVR stays 0)`, { retryable: true });
      }
      return { waitMs: 1, next: () => this.poll(polls + 1) };
    }
    if (r.busReg & OVF) {
      throw new DeviceError('BAD_RESPONSE', `${this.where}: math overflow (OVF): current or power beyond the calibrated range; check shunt.maxCurrent in the profile`, {
        retryable: true,
        details: { bus: r.busReg },
      });
    }
    const volts = (r.busReg >> 3) * BUS_LSB_V;
    return {
      values: [
        { channel: 'voltage', value: Math.round(volts * 1000) / 1000 },
        { channel: 'current', value: r.current * this.s.currentLsb },
        { channel: 'power', value: r.power * this.s.powerLsb },
      ],
    };
  }

  describe(): Readonly<Record<string, string | number | boolean>> {
    return {
      part: 'INA219',
      shuntOhms: this.options.shunt.ohms,
      calibration: hex(this.s.calibration, 4),
      currentLsbA: this.s.currentLsb,
      shuntRangeV: SHUNT_RANGES[this.s.gain] as number,
      bus: this.bus.name,
      address: hex(this.options.address),
    };
  }
}

export const ina219Part: DevicePart<Ina219Options> = {
  type: 'ina219',
  title: 'TI INA219 supply voltage, current and power',
  bus: 'i2c',
  example: { type: 'ina219', address: 0x40, interval: '1s', shunt: { ohms: 0.1, maxCurrent: 2 } },
  channels,
  check: (o) => timeoutCovers(o, Math.ceil(settings(o).conversionMs * 1.1) + MAX_POLLS, `shunt and bus conversions averaging ${o.samples} sample${o.samples === 1 ? '' : 's'}`),
  create: (o, ctx) => new Ina219Driver(ctx.buses.i2c(o.bus), o),
  i2c: {
    addresses: ADDRESSES,
    address: (o) => o.address,
    async identify(bus, address) {
      // no chip id: reserved config bit 14 and void calibration bit 0 must read 0
      const cfg = await readRegister16(bus, address, REG.CONFIG);
      const cal = await readRegister16(bus, address, REG.CALIBRATION);
      return (cfg & CONFIG_RESERVED) === 0 && (cal & 1) === 0 ? `INA219 (config ${hex(cfg, 4)})` : undefined;
    },
  },
};
