import type { SerialLink } from '../../bus/serial.js';
import type { ChannelSpec, ChannelValue, DeviceCondition, DeviceContext, DevicePart, ReadResult } from '../../types.js';
import { ZeroFrames, allZero } from '../warmup.js';
import { exchange } from '../exchange.js';
import { SerialDriver } from '../link-driver.js';
import { openPort, timeoutCovers } from '../port.js';
import { QUERY, SET_ACTIVE, SET_QUERY, setPeriod } from './commands.js';
import { type SdsMeasurement, decodeMeasurement, sdsFrame } from './parser.js';
import type { Sds011Options } from './schema.js';

const CHANNELS: readonly ChannelSpec[] = [
  // the frame carries 0.1 µg/m³
  { name: 'pm2_5', unit: 'µg/m³', min: 0, max: 999.9, decimals: 1 },
  { name: 'pm10', unit: 'µg/m³', min: 0, max: 999.9, decimals: 1 },
];

function values(m: SdsMeasurement): ChannelValue[] {
  return [
    { channel: 'pm2_5', value: m.pm2_5 },
    { channel: 'pm10', value: m.pm10 },
  ];
}

/**
 * Nova SDS011. init() sets the reporting mode and (active mode) the work period; answers are
 * not awaited: the part is read by its frames either way. Active: read() hands out the newest
 * verified frame; stale after max(staleAfter, 3 work periods). Query: read() sends QUERY and
 * waits for the frame through the scheduler, with bounded retries.
 */
export class Sds011Driver extends SerialDriver {
  readonly channels = CHANNELS;
  private latest: SdsMeasurement | undefined;
  private answered: SdsMeasurement | 'warming' | undefined;
  /** all-zero frames (D1..D6, the id too) while laser and fan start: 30 s in the datasheet */
  private readonly zeros = new ZeroFrames('SDS011', 120_000);

  constructor(link: SerialLink, protected override readonly options: Sds011Options, ctx: DeviceContext) {
    super(link, sdsFrame, { ...options, staleAfter: Math.max(options.staleAfter, options.workPeriod * 3 * 60_000) }, ctx);
  }

  protected onFrame(f: Uint8Array): void {
    const m = decodeMeasurement(f);
    if (m && this.zeros.note(allZero(f, 2, 8), this.clock.monoMs())) {
      this.latest = undefined; // never hand out an older reading for a frame that had none
      this.answered = 'warming';
      return;
    }
    if (m) {
      this.latest = m;
      this.answered = m;
    }
  }

  protected override async configure(): Promise<void> {
    this.zeros.reset();
    await this.link.write(this.options.mode === 'query' ? SET_QUERY : SET_ACTIVE);
    if (this.options.mode === 'active') await this.link.write(setPeriod(this.options.workPeriod));
  }

  async read(): Promise<ReadResult> {
    if (this.options.mode === 'active') return this.streamed(this.latest ? values(this.latest) : undefined);
    this.guard();
    return exchange({
      clock: this.clock,
      timeoutMs: this.options.responseTimeout,
      retries: this.options.retries,
      pollMs: 50,
      what: `SDS011 ${this.where}: query`,
      send: () => {
        this.answered = undefined;
        return this.link.write(QUERY);
      },
      take: () => this.answered,
      checksumErrors: () => this.checksumErrors(),
      done: (m) => ({ values: m === 'warming' ? [] : values(m) }),
    });
  }

  conditions(): readonly DeviceCondition[] {
    return this.zeros.conditions(this.ctx.id, this.clock.monoMs());
  }

  override describe(): Readonly<Record<string, string | number | boolean>> {
    return { part: 'SDS011', mode: this.options.mode, warmingUp: this.zeros.warming, zeroFramesDropped: this.zeros.dropped, sensorId: this.latest ? this.latest.id.toString(16).padStart(4, '0') : 'unknown', ...super.describe() };
  }
}

export const sds011Part: DevicePart<Sds011Options> = {
  type: 'sds011',
  title: 'Nova Fitness SDS011 particulate matter (PM2.5, PM10)',
  bus: 'serial',
  example: { type: 'sds011', port: '/dev/serial/by-id/usb-1a86_USB2.0-Serial-if00-port0', interval: '10s' },
  channels: () => CHANNELS,
  create: (o, ctx) => new Sds011Driver(openPort(ctx, o), o, ctx),
  check: (o) => timeoutCovers(o, (o.mode === 'query' ? o.responseTimeout * (o.retries + 1) : 0)),
  serial: {
    shared: false,
    probe: { part: 'Nova SDS011', baud: 9600, format: sdsFrame, query: QUERY },
  },
};
