import { byteSum, type FrameFormat } from '../../bus/serial-frames.js';

/**
 * Nova Fitness SDS011 frames (Laser Dust Sensor Control Protocol V1.3). The part sends 10 bytes:
 *
 *   AA  C0|C5  D1 D2 D3 D4 D5 D6  checksum  AB
 *
 * checksum = low byte of D1 + … + D6. C0 carries a measurement (D1..D4 = PM2.5 low, high,
 * PM10 low, high in 0.1 µg/m³; D5 D6 = device id); C5 answers a command (D1 = command id).
 * Datasheet example: AA C0 D4 04 3A 0A A1 60 1D AB → PM2.5 0x04D4 = 1236 → 123.6 µg/m³,
 * PM10 0x0A3A = 2618 → 261.8 µg/m³, checksum 0xD4+0x04+0x3A+0x0A+0xA1+0x60 = 0x21D → 0x1D.
 */
export const HEAD = 0xaa;
export const TAIL = 0xab;
export const DATA = 0xc0;
export const REPLY = 0xc5;

export const sdsFrame: FrameFormat = {
  name: 'SDS011',
  headers: [
    [HEAD, DATA],
    [HEAD, REPLY],
  ],
  maxLength: 10,
  length: () => 10,
  verify: (f) => f[9] === TAIL && (byteSum(f, 2, 8) & 0xff) === f[8],
};

export interface SdsMeasurement {
  /** µg/m³, 0.1 resolution */
  readonly pm2_5: number;
  readonly pm10: number;
  /** device id (D5 D6), printed on the label */
  readonly id: number;
}

export function decodeMeasurement(f: Uint8Array): SdsMeasurement | undefined {
  if (f[1] !== DATA) return undefined;
  const b = (i: number): number => f[i] as number;
  return { pm2_5: ((b(3) << 8) | b(2)) / 10, pm10: ((b(5) << 8) | b(4)) / 10, id: (b(6) << 8) | b(7) };
}

/** A sensor-to-host frame with the checksum and tail filled in. */
export function sensorFrame(kind: number, d: readonly number[]): Uint8Array {
  const f = Uint8Array.of(HEAD, kind, ...d.slice(0, 6).map((x) => x & 0xff), 0, TAIL);
  f[8] = byteSum(f, 2, 8) & 0xff;
  return f;
}

export function encodeMeasurement(m: SdsMeasurement): Uint8Array {
  const p25 = Math.max(0, Math.min(0xffff, Math.round(m.pm2_5 * 10)));
  const p10 = Math.max(0, Math.min(0xffff, Math.round(m.pm10 * 10)));
  return sensorFrame(DATA, [p25 & 0xff, p25 >> 8, p10 & 0xff, p10 >> 8, m.id >> 8, m.id & 0xff]);
}
