import { type I2cBus, hex } from '../../bus/i2c.js';
import type { Clock } from '../../bus/clock.js';
import { DeviceError } from '../../errors.js';
import { decimalsForStep } from '../../precision.js';
import type { ChannelSpec, DevicePart, Driver, ReadResult } from '../../types.js';
import { timeoutCovers } from '../read-budget.js';
import { ADDRESSES, CONTINUOUS, ONE_TIME, OP, countToLux, measureMaxMs, mtregOpcodes } from './registers.js';
import type { Bh1750Options } from './schema.js';

function channels(o: Bh1750Options): readonly ChannelSpec[] {
  const step = countToLux(1, o.resolution, o.mtreg); // one count: 0.83 lx at H-resolution, MTreg 69
  return [{ name: 'illuminance', unit: 'lx', min: 0, max: Math.ceil(countToLux(0xffff, o.resolution, o.mtreg)), decimals: decimalsForStep(step) }];
}

/**
 * BH1750 ambient light. One-time mode: each read() sends the one-time opcode and comes back
 * after the maximum measurement time (180 ms × MTreg/69 in H-resolution). Continuous mode:
 * init() starts the part measuring and read() only waits for the first period after that.
 */
export class Bh1750Driver implements Driver {
  readonly channels: readonly ChannelSpec[];
  private readonly measureMs: number;
  private initialised = false;
  private firstDataAt = 0;

  constructor(
    private readonly bus: I2cBus,
    private readonly options: Bh1750Options,
    private readonly clock: Clock,
  ) {
    this.channels = channels(options);
    this.measureMs = Math.ceil(measureMaxMs(options.resolution, options.mtreg));
  }

  private get where(): string {
    return `${this.bus.name} ${hex(this.options.address)}`;
  }

  async init(): Promise<void> {
    const a = this.options.address;
    const o = this.options;
    this.initialised = false;
    await this.bus.lock.run(async () => {
      const send = (op: number): Promise<void> => this.bus.write(a, Uint8Array.of(op));
      // power on first: reset is refused in power-down (datasheet page 5)
      await send(OP.POWER_ON);
      await send(OP.RESET);
      const [hi, lo] = mtregOpcodes(o.mtreg);
      await send(hi);
      await send(lo);
      if (o.mode === 'continuous') await send(CONTINUOUS[o.resolution]);
      else await send(OP.POWER_DOWN);
    });
    this.firstDataAt = this.clock.monoMs() + this.measureMs;
    this.initialised = true;
  }

  async read(): Promise<ReadResult> {
    if (!this.initialised) throw new DeviceError('DEVICE_FAULT', `${this.where}: read before init`);
    const fetch = async (): Promise<ReadResult> => {
      const d = await this.bus.lock.run(() => this.bus.read(this.options.address, 2));
      const count = ((d[0] as number) << 8) | (d[1] as number);
      const lux = countToLux(count, this.options.resolution, this.options.mtreg);
      return { values: [{ channel: 'illuminance', value: Math.round(lux * 100) / 100 }] };
    };
    if (this.options.mode === 'continuous') {
      const wait = Math.ceil(this.firstDataAt - this.clock.monoMs());
      return wait > 0 ? { waitMs: wait, next: fetch } : fetch();
    }
    await this.bus.lock.run(() => this.bus.write(this.options.address, Uint8Array.of(ONE_TIME[this.options.resolution])));
    return { waitMs: this.measureMs, next: fetch };
  }

  async reset(): Promise<void> {
    await this.bus.lock.run(() => this.bus.write(this.options.address, Uint8Array.of(OP.POWER_DOWN)));
    this.initialised = false;
  }

  describe(): Readonly<Record<string, string | number | boolean>> {
    const o = this.options;
    return { part: 'BH1750', mode: o.mode, resolution: o.resolution, mtreg: o.mtreg, measureMs: this.measureMs, bus: this.bus.name, address: hex(o.address) };
  }
}

export const bh1750Part: DevicePart<Bh1750Options> = {
  type: 'bh1750',
  title: 'ROHM BH1750 ambient light',
  bus: 'i2c',
  example: { type: 'bh1750', address: 0x23, interval: '1s' },
  channels,
  check: (o) => timeoutCovers(o, measureMaxMs(o.resolution, o.mtreg), `${o.resolution} resolution at MTreg ${o.mtreg}`),
  create: (o, ctx) => new Bh1750Driver(ctx.buses.i2c(o.bus), o, ctx.clock),
  i2c: {
    addresses: ADDRESSES,
    address: (o) => o.address,
    // no chip id: a scan names it by address only
  },
};
