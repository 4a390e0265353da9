import type { SerialLink } from '../../bus/serial.js';
import type { ChannelSpec, ChannelValue, DeviceCondition, DeviceContext, DevicePart, ReadResult } from '../../types.js';
import { ZeroFrames, allZero } from '../warmup.js';
import { exchange } from '../exchange.js';
import { SerialDriver } from '../link-driver.js';
import { openPort, timeoutCovers } from '../port.js';
import { CMD, MODE_ACTIVE, MODE_PASSIVE, READ_PASSIVE, WAKE } from './commands.js';
import { DATA_FRAME, type PmsMeasurement, decodeMeasurement, pmsFrame } from './parser.js';
import type { Pms5003Options } from './schema.js';

// whole µg/m³ and whole particle counts (datasheet: resolution 1 µg/m³)
const ugm3 = (name: string): ChannelSpec => ({ name, unit: 'µg/m³', min: 0, max: 1000, decimals: 0 });
const count = (name: string): ChannelSpec => ({ name, unit: '#/0.1L', min: 0, max: 65535, decimals: 0 });

/** PM1.0/2.5/10 "atmospheric" first (what air-quality reporting uses), then CF=1, then counts. */
export const PMS_CHANNEL_SPECS: readonly ChannelSpec[] = [
  ugm3('pm1_0'), ugm3('pm2_5'), ugm3('pm10'),
  ugm3('pm1_0_cf1'), ugm3('pm2_5_cf1'), ugm3('pm10_cf1'),
  count('n0_3'), count('n0_5'), count('n1_0'), count('n2_5'), count('n5_0'), count('n10'),
];

function values(m: PmsMeasurement): ChannelValue[] {
  return PMS_CHANNEL_SPECS.map((c) => ({ channel: c.name, value: m[c.name as keyof PmsMeasurement] }));
}

/**
 * Plantower PMS5003 / PMSA003. Active mode: the part streams; read() hands out the newest
 * verified frame (none if no new frame came since the last read; SERIAL_NO_DATA after
 * staleAfter). Passive mode: read() sends READ and waits for the frame through the scheduler.
 * Readings during the fan's warm-up after init are dropped (empty read), not published.
 */
export class Pms5003Driver extends SerialDriver {
  readonly channels = PMS_CHANNEL_SPECS;
  private latest: PmsMeasurement | undefined;
  private answered: PmsMeasurement | 'warming' | undefined;
  private modeReply: number | undefined;
  private warmUntil = 0;
  /** all-zero frames while the fan spins up; the datasheet says 30 s, a dead fan never ends */
  private readonly zeros = new ZeroFrames('PMS5003', 120_000);

  constructor(link: SerialLink, protected override readonly options: Pms5003Options, ctx: DeviceContext) {
    super(link, pmsFrame, options, ctx);
  }

  protected onFrame(f: Uint8Array): void {
    const m = decodeMeasurement(f);
    // data words 1..12 (concentrations and counts) all zero: no measurement yet
    if (m && this.zeros.note(allZero(f, 4, 28), this.clock.monoMs())) {
      this.latest = undefined; // never hand out an older reading for a frame that had none
      this.answered = 'warming';
      return;
    }
    if (m) {
      this.latest = m;
      this.answered = m;
    } else if (f[4] === CMD.MODE) {
      this.modeReply = f[5];
    }
  }

  protected override async configure(): Promise<void> {
    this.warmUntil = this.clock.monoMs() + this.options.warmup;
    this.latest = undefined;
    this.zeros.reset();
    // The mode answer is not awaited: a part in the wrong mode still streams (active) or is
    // read explicitly (passive); the answer only shows up in describe().
    await this.link.write(this.options.mode === 'passive' ? MODE_PASSIVE : MODE_ACTIVE);
  }

  private warming(): boolean {
    return this.clock.monoMs() < this.warmUntil;
  }

  async read(): Promise<ReadResult> {
    if (this.options.mode === 'active') {
      const r = this.streamed(this.latest ? values(this.latest) : undefined);
      return this.warming() ? { values: [] } : r;
    }
    this.guard();
    return exchange({
      clock: this.clock,
      timeoutMs: this.options.responseTimeout,
      retries: this.options.retries,
      pollMs: 50, // a 32-byte frame takes 33 ms at 9600 Bd
      what: `PMS5003 ${this.where}: passive read`,
      send: () => {
        this.answered = undefined;
        return this.link.write(READ_PASSIVE);
      },
      take: () => this.answered,
      checksumErrors: () => this.checksumErrors(),
      done: (m) => ({ values: m === 'warming' || this.warming() ? [] : values(m) }),
    });
  }

  conditions(): readonly DeviceCondition[] {
    return this.zeros.conditions(this.ctx.id, this.clock.monoMs());
  }

  /** A part that went quiet may have been put to sleep (SET pin glitch, a stray SLEEP): wake it, then reopen. */
  override async reset(): Promise<void> {
    if (this.link.isOpen) await this.link.write(WAKE).catch(() => undefined);
    await super.reset();
  }

  override describe(): Readonly<Record<string, string | number | boolean>> {
    return {
      part: 'PMS5003',
      mode: this.options.mode,
      modeAcknowledged: this.modeReply !== undefined,
      warmingUp: this.warming() || this.zeros.warming,
      zeroFramesDropped: this.zeros.dropped,
      frameBytes: DATA_FRAME,
      ...super.describe(),
    };
  }
}

export const pms5003Part: DevicePart<Pms5003Options> = {
  type: 'pms5003',
  title: 'Plantower PMS5003 / PMSA003 particulate matter (PM1.0, PM2.5, PM10)',
  bus: 'serial',
  example: { type: 'pms5003', port: '/dev/serial/by-id/usb-Silicon_Labs_CP2102_USB_to_UART_Bridge_Controller_0001-if00-port0', interval: '10s' },
  channels: () => PMS_CHANNEL_SPECS,
  create: (o, ctx) => new Pms5003Driver(openPort(ctx, o), o, ctx),
  check: (o) => timeoutCovers(o, (o.mode === 'passive' ? o.responseTimeout * (o.retries + 1) : 0)),
  serial: {
    shared: false,
    probe: { part: 'Plantower PMS5003 / PMSA003', baud: 9600, format: pmsFrame, query: READ_PASSIVE },
  },
};
