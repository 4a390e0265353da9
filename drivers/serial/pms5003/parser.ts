import { be16, byteSum, type FrameFormat } from '../../bus/serial-frames.js';

/**
 * Plantower PMS5003 / PMSA003 frames (PMS5003 datasheet V2.3 appendix I, "transport protocol,
 * active mode"). Every frame the part sends:
 *
 *   0x42 0x4D  frame length (16-bit big-endian, bytes after itself)  data…  check (16-bit BE)
 *
 * check = sum of every byte from 0x42 up to the last data byte, as an unsigned 16-bit number.
 * Two lengths occur: 28 (a 32-byte measurement frame: 13 data words + check) and 4 (an 8-byte
 * answer to a mode/sleep command: command byte, data byte, check).
 */
export const START = [0x42, 0x4d] as const;
export const DATA_FRAME = 32;
export const REPLY_FRAME = 8;

export const pmsFrame: FrameFormat = {
  name: 'PMS5003',
  headers: [START],
  maxLength: DATA_FRAME,
  length(b) {
    if (b.length < 4) return 0;
    const n = be16(b, 2);
    if (n === DATA_FRAME - 4) return DATA_FRAME;
    if (n === REPLY_FRAME - 4) return REPLY_FRAME;
    return -1;
  },
  verify(f) {
    return (byteSum(f, 0, f.length - 2) & 0xffff) === be16(f, f.length - 2);
  },
};

/** One measurement frame, decoded. Concentrations in µg/m³, counts per 0.1 L of air. */
export interface PmsMeasurement {
  /** "CF=1, standard particle": the factory calibration against a reference aerosol */
  readonly pm1_0_cf1: number;
  readonly pm2_5_cf1: number;
  readonly pm10_cf1: number;
  /** "under atmospheric environment": what outdoor air-quality reporting uses */
  readonly pm1_0: number;
  readonly pm2_5: number;
  readonly pm10: number;
  /** particles with diameter beyond 0.3, 0.5, 1.0, 2.5, 5.0, 10 µm in 0.1 L of air */
  readonly n0_3: number;
  readonly n0_5: number;
  readonly n1_0: number;
  readonly n2_5: number;
  readonly n5_0: number;
  readonly n10: number;
  /** data 13: reserved on PMS5003; version (high byte) and error code (low byte) on PMSA003 */
  readonly reserved: number;
}

export const MEASUREMENT_FIELDS = [
  'pm1_0_cf1', 'pm2_5_cf1', 'pm10_cf1', 'pm1_0', 'pm2_5', 'pm10',
  'n0_3', 'n0_5', 'n1_0', 'n2_5', 'n5_0', 'n10', 'reserved',
] as const satisfies readonly (keyof PmsMeasurement)[];

/** Data word i (1-based, as the datasheet numbers them) of a verified 32-byte frame. */
function word(f: Uint8Array, i: number): number {
  return be16(f, 4 + 2 * (i - 1));
}

/** Decode a verified measurement frame; undefined for a command reply. */
export function decodeMeasurement(f: Uint8Array): PmsMeasurement | undefined {
  if (f.length !== DATA_FRAME) return undefined;
  const m: Record<string, number> = {};
  MEASUREMENT_FIELDS.forEach((k, i) => {
    m[k] = word(f, i + 1);
  });
  return m as unknown as PmsMeasurement;
}

/** Build a measurement frame (the simulator's side, and test vectors). */
export function encodeMeasurement(m: PmsMeasurement): Uint8Array {
  const f = new Uint8Array(DATA_FRAME);
  f[0] = 0x42;
  f[1] = 0x4d;
  f[3] = DATA_FRAME - 4;
  MEASUREMENT_FIELDS.forEach((k, i) => {
    const v = Math.max(0, Math.min(0xffff, Math.round(m[k])));
    f[4 + 2 * i] = v >> 8;
    f[5 + 2 * i] = v & 0xff;
  });
  const sum = byteSum(f, 0, DATA_FRAME - 2) & 0xffff;
  f[30] = sum >> 8;
  f[31] = sum & 0xff;
  return f;
}
