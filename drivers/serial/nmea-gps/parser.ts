import type { FrameFormat } from '../../bus/serial-frames.js';

/**
 * NMEA 0183 sentences (NMEA 0183 v4.11; u-blox and MediaTek receivers speak it at 9600 8N1):
 *
 *   $GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47<CR><LF>
 *
 * '$', talker (GP = GPS, GN = multi-constellation, GL, GA, GB/BD, IN = inertial …), type,
 * comma-separated fields, '*', two hex digits, CR LF. The checksum is the XOR of every character
 * between '$' and '*' (the example above XORs to 0x47).
 *
 * NMEA 0183 says a sentence is at most 82 characters including '$' and CR LF, but real receivers
 * send longer ones: the MediaTek MT3339 (Adafruit Ultimate GPS HAT), BT-Q818 and SkyTraq send
 * GGA sentences of 83–86, the Trimble BX-960 91, a SkyTraq S2525F8 100. We accept what gpsd
 * accepts: `#define NMEA_MAX 102 /* max length of NMEA sentence *\/` (gpsd, include/gpsd.h).
 * A bare LF line end is accepted too, as gpsd's lexer does for receivers and logs without CR.
 */
export const MAX_SENTENCE = 102;
const DOLLAR = 0x24;
const STAR = 0x2a;
const LF = 0x0a;
const CR = 0x0d;

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

export const nmeaFrame: FrameFormat = {
  name: 'NMEA 0183',
  headers: [[DOLLAR]],
  maxLength: MAX_SENTENCE,
  length(b) {
    const end = Math.min(b.length, MAX_SENTENCE);
    for (let i = 1; i < end; i++) {
      const c = b[i] as number;
      if (c === LF) return i + 1;
      // a new '$' before the line ended: this one was cut short; hunt from the next '$'
      if (c === DOLLAR) return -1;
    }
    return b.length < MAX_SENTENCE ? 0 : -1;
  },
  verify(f) {
    const n = f.length;
    // … '*' h h CR LF (or a bare LF)
    const end = f[n - 2] === CR ? n - 2 : n - 1;
    if (n < 8 || f[n - 1] !== LF || f[end - 3] !== STAR) return false;
    const hi = hexValue(f[end - 2] as number);
    const lo = hexValue(f[end - 1] as number);
    if (hi < 0 || lo < 0) return false;
    let x = 0;
    for (let i = 1; i < end - 3; i++) {
      const c = f[i] as number;
      if (c < 0x20 || c > 0x7e || c === STAR) return false; // printable ASCII only
      x ^= c;
    }
    return x === (hi << 4) + lo;
  },
};

/** XOR checksum of a sentence body (between '$' and '*'), two upper-case hex digits. */
export function nmeaChecksum(body: string): string {
  let x = 0;
  for (let i = 0; i < body.length; i++) x ^= body.charCodeAt(i);
  return x.toString(16).toUpperCase().padStart(2, '0');
}

/** "$" + body + "*" + checksum + CRLF */
export function sentence(body: string): string {
  return `$${body}*${nmeaChecksum(body)}\r\n`;
}

export interface GgaFix {
  readonly kind: 'GGA';
  /** seconds of the UTC day */
  readonly utcSeconds: number | undefined;
  readonly latitude: number | undefined;
  readonly longitude: number | undefined;
  /** 0 invalid, 1 GPS, 2 DGPS, 4 RTK fixed, 5 RTK float, 6 estimated … */
  readonly quality: number;
  readonly satellites: number;
  readonly hdop: number | undefined;
  /** metres above mean sea level */
  readonly altitude: number | undefined;
}

export interface RmcFix {
  readonly kind: 'RMC';
  /** 'A' valid, 'V' warning (no fix) */
  readonly valid: boolean;
  /** Unix ms of the fix, when both time and date are present */
  readonly utcMs: number | undefined;
  readonly latitude: number | undefined;
  readonly longitude: number | undefined;
  /** m/s (the sentence carries knots: 1 kn = 0.514444 m/s) */
  readonly speed: number | undefined;
  /** degrees true */
  readonly course: number | undefined;
}

const num = (s: string | undefined): number | undefined => {
  if (s === undefined || s === '') return undefined;
  const v = Number(s);
  return Number.isFinite(v) ? v : undefined;
};

/** ddmm.mmmm (or dddmm.mmmm) + hemisphere → signed decimal degrees: 4807.038,N → 48.1173. */
export function degrees(value: string | undefined, hemisphere: string | undefined, degreeDigits: 2 | 3): number | undefined {
  const shape = degreeDigits === 2 ? /^\d{4}(\.\d+)?$/ : /^\d{5}(\.\d+)?$/;
  if (!value || !shape.test(value)) return undefined;
  const d = Number(value.slice(0, degreeDigits));
  const m = Number(value.slice(degreeDigits));
  if (!Number.isFinite(d) || !Number.isFinite(m) || m >= 60) return undefined;
  const deg = d + m / 60;
  if (deg > (degreeDigits === 2 ? 90 : 180)) return undefined;
  if (hemisphere === 'S' || hemisphere === 'W') return -deg;
  if (hemisphere === 'N' || hemisphere === 'E') return deg;
  return undefined;
}

/** hhmmss(.ss) → seconds of the day */
function timeOfDay(s: string | undefined): number | undefined {
  if (!s || !/^\d{6}(\.\d+)?$/.test(s)) return undefined;
  const h = Number(s.slice(0, 2));
  const m = Number(s.slice(2, 4));
  const sec = Number(s.slice(4));
  if (h > 23 || m > 59 || sec >= 61) return undefined;
  return h * 3600 + m * 60 + sec;
}

/**
 * ddmmyy + seconds of day → Unix ms. Two-digit years 80–99 are 1980–1999 (GPS time starts on
 * 1980-01-06), 00–79 are 2000–2079. A receiver hit by the GPS week rollover reports dates 1024
 * weeks back ("220899" in April 2019): correctRollover() below puts them right.
 */
function utcMs(date: string | undefined, seconds: number | undefined): number | undefined {
  if (!date || seconds === undefined || !/^\d{6}$/.test(date)) return undefined;
  const d = Number(date.slice(0, 2));
  const mo = Number(date.slice(2, 4));
  const yy = Number(date.slice(4, 6));
  const y = yy >= 80 ? 1900 + yy : 2000 + yy;
  if (d < 1 || d > 31 || mo < 1 || mo > 12) return undefined;
  return Date.UTC(y, mo - 1, d) + Math.round(seconds * 1000);
}

/** The GPS week number is 10 bits wide: it rolls over every 1024 weeks = 7168 days. */
export const GPS_ROLLOVER_MS = 1024 * 7 * 86_400_000;

/**
 * A date before `floorMs` (the firmware's build date, or the last time a previous run saw) cannot
 * be now: as gpsd does, add whole 1024-week periods until it is not. Returns the corrected time
 * and how many periods were added. Without a floor nothing is corrected.
 */
export function correctRollover(ms: number, floorMs: number | undefined): { readonly ms: number; readonly rollovers: number } {
  if (floorMs === undefined) return { ms, rollovers: 0 };
  let t = ms;
  let n = 0;
  while (t < floorMs - 86_400_000 && n < 8) {
    t += GPS_ROLLOVER_MS;
    n++;
  }
  return { ms: t, rollovers: n };
}

/** Decode a verified sentence; undefined for sentence types we do not use (GSV, VTG …). */
export function decodeSentence(f: Uint8Array): GgaFix | RmcFix | undefined {
  const end = f[f.length - 2] === CR ? f.length - 5 : f.length - 4;
  const text = String.fromCharCode(...f.subarray(1, end));
  const fields = text.split(',');
  const type = fields[0] ?? '';
  // any talker, as gpsd: GP, GN, GL, GA, GB/BD (BeiDou), GQ, IN (inertial), II …
  if (!/^[A-Z]{2}(GGA|RMC)$/.test(type) || type.startsWith('P')) return undefined;
  if (type.endsWith('GGA')) {
    return {
      kind: 'GGA',
      utcSeconds: timeOfDay(fields[1]),
      latitude: degrees(fields[2], fields[3], 2),
      longitude: degrees(fields[4], fields[5], 3),
      quality: num(fields[6]) ?? 0,
      satellites: num(fields[7]) ?? 0,
      hdop: num(fields[8]),
      altitude: num(fields[9]),
    };
  }
  const knots = num(fields[7]);
  return {
    kind: 'RMC',
    valid: fields[2] === 'A',
    utcMs: utcMs(fields[9], timeOfDay(fields[1])),
    latitude: degrees(fields[3], fields[4], 2),
    longitude: degrees(fields[5], fields[6], 3),
    speed: knots === undefined ? undefined : knots * 0.514444,
    course: num(fields[8]),
  };
}
