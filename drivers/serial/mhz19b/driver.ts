import type { SerialLink } from '../../bus/serial.js';
import type { ChannelSpec, DeviceCondition, DeviceContext, DevicePart, ReadResult } from '../../types.js';
import { ZeroFrames, allZero } from '../warmup.js';
import { exchange } from '../exchange.js';
import { SerialDriver } from '../link-driver.js';
import { openPort, timeoutCovers } from '../port.js';
import { ABC_OFF, ABC_ON, READ, ZERO_POINT, range } from './commands.js';
import { decodeCo2, mhzFrame } from './parser.js';
import type { Mhz19bOptions } from './schema.js';

/**
 * Winsen MH-Z19B NDIR CO₂. Request/response only: read() sends READ and the scheduler comes
 * back every 20 ms until the 9-byte answer verified, the timeout passed (re-send, bounded), or
 * all attempts failed: DEVICE_TIMEOUT, or SERIAL_CHECKSUM if answers came but none verified.
 * init() sets range and ABC. Readings during preheat are dropped.
 */
/** an answer that verified but carried no measurement (preheat) */
const WARMING = -1;

export class Mhz19bDriver extends SerialDriver {
  readonly channels: readonly ChannelSpec[];
  private answer: number | undefined;
  private warmUntil = 0;
  /** all-zero answers during the preheat (3 min in the datasheet) */
  private readonly zeros = new ZeroFrames('MH-Z19B', 600_000);

  constructor(link: SerialLink, private readonly mhz: Mhz19bOptions, ctx: DeviceContext) {
    // a request/response part is never "stale": silence is a timeout of the exchange
    super(link, mhzFrame, { ...mhz, staleAfter: Number.POSITIVE_INFINITY }, ctx);
    this.channels = [{ name: 'co2', unit: 'ppm', min: 0, max: mhz.range, decimals: 0 }];
  }

  protected onFrame(f: Uint8Array): void {
    // bytes 2..7 all zero: the answer of a part still preheating, not 0 ppm
    this.answer = this.zeros.note(allZero(f, 2, 8), this.clock.monoMs()) ? WARMING : decodeCo2(f);
  }

  protected override async configure(): Promise<void> {
    this.warmUntil = this.clock.monoMs() + this.mhz.warmup;
    this.zeros.reset();
    await this.link.write(range(this.mhz.range));
    await this.link.write(this.mhz.abc ? ABC_ON : ABC_OFF);
  }

  async read(): Promise<ReadResult> {
    this.guard();
    return exchange({
      clock: this.clock,
      timeoutMs: this.mhz.responseTimeout,
      retries: this.mhz.retries,
      pollMs: 20, // 9 bytes take 9.4 ms at 9600 Bd
      what: `MH-Z19B ${this.where}: read CO₂`,
      send: () => {
        this.answer = undefined;
        return this.link.write(READ);
      },
      take: () => this.answer,
      checksumErrors: () => this.checksumErrors(),
      done: (ppm) => ({ values: ppm === WARMING || this.clock.monoMs() < this.warmUntil ? [] : [{ channel: 'co2', value: ppm }] }),
    });
  }

  conditions(): readonly DeviceCondition[] {
    return this.zeros.conditions(this.ctx.id, this.clock.monoMs());
  }

  /** Zero-point calibration: only after 20 minutes in outdoor air (~400 ppm). For the command channel. */
  async calibrateZero(): Promise<void> {
    this.guard();
    await this.link.write(ZERO_POINT);
  }

  override describe(): Readonly<Record<string, string | number | boolean>> {
    return { part: 'MH-Z19B', rangePpm: this.mhz.range, abc: this.mhz.abc, warmingUp: this.zeros.warming || this.clock.monoMs() < this.warmUntil, zeroFramesDropped: this.zeros.dropped, ...super.describe() };
  }
}

export const mhz19bPart: DevicePart<Mhz19bOptions> = {
  type: 'mhz19b',
  title: 'Winsen MH-Z19B NDIR CO₂',
  bus: 'serial',
  example: { type: 'mhz19b', port: '/dev/ttyAMA0', interval: '30s' },
  channels: (o) => [{ name: 'co2', unit: 'ppm', min: 0, max: o.range, decimals: 0 }],
  create: (o, ctx) => new Mhz19bDriver(openPort(ctx, o), o, ctx),
  check: (o) => timeoutCovers(o, o.responseTimeout * (o.retries + 1)),
  serial: {
    shared: false,
    probe: { part: 'Winsen MH-Z19B', baud: 9600, format: mhzFrame, query: READ },
  },
};
