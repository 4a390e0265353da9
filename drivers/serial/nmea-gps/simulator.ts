import type { Clock } from '../../bus/clock.js';
import type { SampleRange } from '../../sim/part.js';
import { SerialSimDevice, clamp } from '../../sim/serial-device.js';
import { PMTK_TEST, PMTK_TEST_ACK } from './commands.js';
import { sentence } from './parser.js';

const GPS_CHANNELS = ['latitude', 'longitude', 'altitude', 'satellites'] as const;

function pad(n: number, width: number, decimals = 0): string {
  const s = n.toFixed(decimals);
  const [i, f] = s.split('.');
  return (i ?? '').padStart(width, '0') + (f === undefined ? '' : `.${f}`);
}

/** 48.1173 → "4807.0380" (ddmm.mmmm), 11.516667 → "01131.0000" (dddmm.mmmm) */
function nmeaDegrees(deg: number, degreeDigits: 2 | 3): string {
  const a = Math.abs(deg);
  let d = Math.floor(a);
  let m = Number(((a - d) * 60).toFixed(4));
  if (m >= 60) {
    d += 1;
    m = 0;
  }
  return pad(d, degreeDigits) + pad(m, 2, 4);
}

/**
 * A GPS receiver streaming GGA and RMC once a period (1 s on real modules) at 9600 Bd, with a
 * cold start: no fix (GGA quality 0, RMC status V, empty position) for `fixAfterMs`, then a
 * GPS fix with 8 satellites. UTC time comes from the clock's wall time; with `utcOffsetMs` the
 * receiver's time differs from the box's (to test a box whose clock is wrong).
 */
export class NmeaGpsSimulator extends SerialSimDevice {
  readonly part = 'NMEA GPS';
  readonly channels = GPS_CHANNELS;
  readonly baudRate: number;
  private startedAt: number;
  private lastSent = Number.NEGATIVE_INFINITY;
  private pos = { latitude: 52.520008, longitude: 13.404954, altitude: 34.5, satellites: 8 };
  utcOffsetMs = 0;
  /** talker id: GP (GPS only) or GN (multi-constellation, most current modules) */
  talker: 'GP' | 'GN' = 'GN';

  constructor(
    clock: Clock,
    readonly periodMs = 1000,
    readonly fixAfterMs = 3000,
    baudRate = 9600,
  ) {
    super(clock);
    this.startedAt = clock.monoMs();
    this.baudRate = baudRate;
  }

  /** Lose the sky (antenna cable cut, indoors): no fix until `fixAfterMs` after restore(). */
  loseFix(): void {
    this.startedAt = Number.POSITIVE_INFINITY;
  }

  restoreFix(): void {
    this.startedAt = this.clock.monoMs() - this.fixAfterMs;
  }

  receive(bytes: Uint8Array): void {
    const text = String.fromCharCode(...bytes);
    if (text.includes(PMTK_TEST.trim())) this.send(new TextEncoder().encode(PMTK_TEST_ACK));
  }

  tick(): void {
    const now = this.clock.monoMs();
    if (now - this.lastSent < this.periodMs) return;
    this.lastSent = now;
    const fix = now - this.startedAt >= this.fixAfterMs;
    const t = new Date(this.clock.wallMs() + this.utcOffsetMs);
    const hms = `${pad(t.getUTCHours(), 2)}${pad(t.getUTCMinutes(), 2)}${pad(t.getUTCSeconds() + t.getUTCMilliseconds() / 1000, 2, 2)}`;
    const dmy = `${pad(t.getUTCDate(), 2)}${pad(t.getUTCMonth() + 1, 2)}${pad(t.getUTCFullYear() % 100, 2)}`;
    const lat = fix ? `${nmeaDegrees(this.pos.latitude, 2)},${this.pos.latitude < 0 ? 'S' : 'N'}` : ',';
    const lon = fix ? `${nmeaDegrees(this.pos.longitude, 3)},${this.pos.longitude < 0 ? 'W' : 'E'}` : ',';
    const sats = fix ? pad(this.pos.satellites, 2) : '00';
    const gga = `${this.talker}GGA,${hms},${lat},${lon},${fix ? 1 : 0},${sats},${fix ? '0.9' : '99.99'},${fix ? this.pos.altitude.toFixed(1) : ''},M,${fix ? '46.9' : ''},M,,`;
    // before a fix most receivers already send time (from the RTC) with status V
    const rmc = `${this.talker}RMC,${hms},${fix ? 'A' : 'V'},${lat},${lon},${fix ? '0.02' : ''},${fix ? '0.0' : ''},${dmy},,,${fix ? 'A' : 'N'}`;
    this.send(new TextEncoder().encode(sentence(gga)));
    this.send(new TextEncoder().encode(sentence(rmc)));
  }

  protected applyChannel(channel: string, value: number): void {
    if (channel === 'latitude') this.pos.latitude = clamp(value, -89.999, 89.999);
    else if (channel === 'longitude') this.pos.longitude = clamp(value, -179.999, 179.999);
    else if (channel === 'altitude') this.pos.altitude = clamp(value, -400, 9000);
    else this.pos.satellites = Math.round(clamp(value, 4, 24));
  }

  sampleRange(channel: string): SampleRange {
    switch (channel) {
      case 'latitude':
        return { min: -80, max: 80, tolerance: 1e-6 }; // 0.0001 minute = 1.7e-6°
      case 'longitude':
        return { min: -170, max: 170, tolerance: 1e-6 };
      case 'altitude':
        return { min: -100, max: 3000, tolerance: 0.05 };
      default:
        return { min: 4, max: 20, tolerance: 0.5 };
    }
  }
}
