import type { SerialLink } from '../../bus/serial.js';
import type { ChannelSpec, ChannelValue, DeviceCondition, DeviceContext, DevicePart, ReadResult } from '../../types.js';
import { SerialDriver } from '../link-driver.js';
import { openPort } from '../port.js';
import { PMTK_TEST } from './commands.js';
import { type GgaFix, type RmcFix, correctRollover, decodeSentence, nmeaFrame } from './parser.js';
import type { NmeaGpsOptions } from './schema.js';

const CHANNELS: readonly ChannelSpec[] = [
  // NMEA carries 4 (often 5) decimals of minutes: 1e-5' = 1.7e-7° → 7 decimals (about 1 cm);
  // altitude in 0.1 m, speed in 0.01 kn = 0.005 m/s, HDOP in 0.01
  { name: 'latitude', unit: '°', min: -90, max: 90, decimals: 7 },
  { name: 'longitude', unit: '°', min: -180, max: 180, decimals: 7 },
  { name: 'altitude', unit: 'm', min: -500, max: 20000, decimals: 1 },
  { name: 'speed', unit: 'm/s', min: 0, max: 600, decimals: 3 },
  { name: 'satellites', unit: '', min: 0, max: 64, decimals: 0 },
  { name: 'fix_quality', unit: '', min: 0, max: 8, decimals: 0 },
  { name: 'hdop', unit: '', min: 0, max: 99.99, decimals: 2 },
];

/** A GPS date this far after the clock's floor (build date, last run) is not believed. */
export const MAX_AHEAD_MS = 2 * 365.25 * 86_400_000;
/** GPS time and the wall clock agree when within this (NMEA time arrives up to ~1 s late). */
export const AGREE_MS = 5000;

/**
 * An NMEA 0183 GPS receiver (GGA + RMC, any talker). read() reports the newest verified
 * sentences since the last read: satellites and fix quality always, position only with a fix.
 *
 * It is also a time source, carefully: an RMC with status A and a date is first corrected for
 * the GPS week rollover (a date before the clock's floor — build date or last run — gets whole
 * 1024-week periods added, as gpsd does), and then it marks the clock trusted ('gps') only when
 * (a) that date is not years after the floor (GPS_DATE_IMPLAUSIBLE otherwise: a receiver after
 * a rollover, a corrupt almanac) and (b) the box's wall clock agrees with it (edgefw does not
 * set the system clock; trusting a clock that is off would stamp readings wrongly).
 * describe() shows the GPS time, the correction and how far the wall clock is from it.
 */
export class NmeaGpsDriver extends SerialDriver {
  readonly channels = CHANNELS;
  private gga: GgaFix | undefined;
  private rmc: RmcFix | undefined;
  private clockOffsetMs: number | undefined;
  private gpsTimeMs: number | undefined;
  private rollovers = 0;
  private dateProblem: string | undefined;

  constructor(link: SerialLink, protected override readonly options: NmeaGpsOptions, ctx: DeviceContext) {
    super(link, nmeaFrame, options, ctx);
  }

  protected onFrame(f: Uint8Array): void {
    const s = decodeSentence(f);
    if (!s) return;
    if (s.kind === 'GGA') this.gga = s;
    else {
      this.rmc = s;
      if (s.valid && s.utcMs !== undefined) this.checkTime(s.utcMs);
    }
  }

  private checkTime(reported: number): void {
    const floor = this.clock.floorMs?.();
    const { ms, rollovers } = correctRollover(reported, floor);
    this.gpsTimeMs = ms;
    this.rollovers = rollovers;
    this.clockOffsetMs = ms - this.clock.wallMs();
    const iso = (t: number): string => new Date(t).toISOString().slice(0, 10);
    if (floor !== undefined && ms > floor + MAX_AHEAD_MS) {
      const fixed = rollovers > 0 ? ` (reported ${iso(reported)}, +${rollovers}×1024 weeks for the week rollover)` : '';
      this.dateProblem = `GPS date ${iso(ms)}${fixed} is ${((ms - floor) / (365.25 * 86_400_000)).toFixed(1)} years after what this box knows (build date or last run ${iso(floor)}); the clock is not trusted from it`;
      return;
    }
    this.dateProblem = undefined;
    if (this.options.timeSource && Math.abs(this.clockOffsetMs) <= AGREE_MS) this.clock.markTrusted('gps');
  }

  conditions(): readonly DeviceCondition[] {
    return this.dateProblem ? [{ code: 'GPS_DATE_IMPLAUSIBLE', message: `${this.ctx.id}: ${this.dateProblem}` }] : [];
  }

  protected override async configure(): Promise<void> {
    this.gga = undefined;
    this.rmc = undefined;
  }

  get hasFix(): boolean {
    return (this.gga?.quality ?? 0) > 0 || this.rmc?.valid === true;
  }

  private values(): ChannelValue[] | undefined {
    const g = this.gga;
    const r = this.rmc;
    if (!g && !r) return undefined;
    const out: ChannelValue[] = [
      { channel: 'satellites', value: g?.satellites ?? 0 },
      { channel: 'fix_quality', value: g?.quality ?? (r?.valid ? 1 : 0) },
    ];
    if (!this.hasFix) return out;
    const push = (channel: string, v: number | undefined): void => {
      if (v !== undefined) out.push({ channel, value: v });
    };
    push('latitude', g?.latitude ?? r?.latitude);
    push('longitude', g?.longitude ?? r?.longitude);
    push('altitude', g?.altitude);
    push('speed', r?.speed);
    push('hdop', g?.hdop);
    return out;
  }

  async read(): Promise<ReadResult> {
    return this.streamed(this.values());
  }

  override describe(): Readonly<Record<string, string | number | boolean>> {
    return {
      part: 'NMEA 0183 GPS',
      fix: this.hasFix,
      timeSource: this.options.timeSource,
      ...(this.gpsTimeMs === undefined ? {} : { gpsTime: new Date(this.gpsTimeMs).toISOString(), rollovers: this.rollovers }),
      ...(this.clockOffsetMs === undefined ? {} : { clockOffsetMs: Math.round(this.clockOffsetMs) }),
      ...super.describe(),
    };
  }
}

export const nmeaGpsPart: DevicePart<NmeaGpsOptions> = {
  type: 'nmea-gps',
  title: 'NMEA 0183 GPS receiver (position, satellites, UTC time source)',
  bus: 'serial',
  example: { type: 'nmea-gps', port: '/dev/serial/by-id/usb-u-blox_AG_-_www.u-blox.com_u-blox_7_-_GPS_GNSS_Receiver-if00', interval: '5s' },
  channels: () => CHANNELS,
  create: (o, ctx) => new NmeaGpsDriver(openPort(ctx, o), o, ctx),
  serial: {
    shared: false,
    probe: { part: 'NMEA 0183 GPS receiver', baud: 9600, format: nmeaFrame, query: new TextEncoder().encode(PMTK_TEST) },
  },
};
