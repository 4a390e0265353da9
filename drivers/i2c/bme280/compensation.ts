/**
 * BME280 compensation: raw ADC codes + factory trimming → SI units, with the integer formulas
 * of the Bosch datasheet (BST-BME280-DS002 section 4.2.3 and 8.2; the BMP280 shares T and P).
 * Integer arithmetic is kept exactly as published so results match the chip vendor's driver.
 */

export interface Calibration {
  readonly T1: number; // unsigned short, 0x88/0x89
  readonly T2: number; // signed short
  readonly T3: number;
  readonly P1: number; // unsigned short, 0x8E/0x8F
  readonly P2: number;
  readonly P3: number;
  readonly P4: number;
  readonly P5: number;
  readonly P6: number;
  readonly P7: number;
  readonly P8: number;
  readonly P9: number;
  readonly H1: number; // unsigned char, 0xA1
  readonly H2: number; // signed short, 0xE1/0xE2
  readonly H3: number; // unsigned char, 0xE3
  readonly H4: number; // signed 12 bit: 0xE4[11:4] | 0xE5[3:0]
  readonly H5: number; // signed 12 bit: 0xE6[11:4] | 0xE5[7:4]
  readonly H6: number; // signed char, 0xE7
}

/**
 * Parse the trimming parameters (table 16): `a` = 26 bytes from 0x88, `b` = 7 bytes from 0xE1.
 * Little-endian words. H4/H5 share register 0xE5 (H4 low nibble, H5 high nibble).
 */
export function parseCalibration(a: Uint8Array, b: Uint8Array): Calibration {
  if (a.length < 26 || b.length < 7) throw new RangeError('calibration needs 26 + 7 bytes');
  const dv = new DataView(a.buffer, a.byteOffset, a.byteLength);
  const u16 = (o: number): number => dv.getUint16(o, true);
  const s16 = (o: number): number => dv.getInt16(o, true);
  const b0 = b[0] as number, b1 = b[1] as number, b2 = b[2] as number, b3 = b[3] as number;
  const b4 = b[4] as number, b5 = b[5] as number, b6 = b[6] as number;
  const s12 = (v: number): number => (v & 0x800 ? v - 0x1000 : v);
  return {
    T1: u16(0), T2: s16(2), T3: s16(4),
    P1: u16(6), P2: s16(8), P3: s16(10), P4: s16(12), P5: s16(14), P6: s16(16), P7: s16(18), P8: s16(20), P9: s16(22),
    H1: a[25] as number,
    H2: (((b1 << 8) | b0) << 16) >> 16,
    H3: b2,
    H4: s12((b3 << 4) | (b4 & 0x0f)),
    H5: s12((b5 << 4) | (b4 >> 4)),
    H6: (b6 << 24) >> 24,
  };
}

/**
 * Temperature, datasheet 4.2.3 BME280_compensate_T_int32. Returns t_fine (carried into P and H)
 * and T in 0.01 °C: 5123 → 51.23 °C.
 */
export function compensateTemperature(adcT: number, c: Calibration): { tFine: number; centiC: number } {
  const var1 = (((adcT >> 3) - (c.T1 << 1)) * c.T2) >> 11;
  const d = (adcT >> 4) - c.T1;
  const var2 = (((d * d) >> 12) * c.T3) >> 14;
  const tFine = var1 + var2;
  return { tFine, centiC: (tFine * 5 + 128) >> 8 };
}

/**
 * Pressure, datasheet 4.2.3 BME280_compensate_P_int64, in Pa as Q24.8:
 * 24674867 → 24674867/256 = 96386.2 Pa. Returns 0 when var1 == 0 (avoids division by zero).
 *
 * The formula needs 64-bit integers. This runs it on doubles, exactly: every intermediate is an
 * integer below 2^53 (a double holds those exactly), the three products that can pass 2^53 are
 * split into halves, and every shift right is a floor division by a power of two, as the
 * arithmetic shift of a signed 64-bit integer is. Should an intermediate leave the exact range
 * anyway (a calibration far outside production parts), it computes with BigInt instead
 * (compensatePressureInt64: the formula as published; the same result, slower and allocating).
 */
export function compensatePressure(adcP: number, tFine: number, c: Calibration): number {
  const v1 = tFine - 128000;
  const v1sq = v1 * v1;
  // var2 = var1² · P6 + ((var1 · P5) << 17) + (P4 << 35)
  const t1 = v1sq * c.P6;
  const t2 = v1 * c.P5 * 131072;
  const var2 = t1 + t2 + c.P4 * 34359738368;
  // var1 = ((var1² · P3) >> 8) + ((var1 · P2) << 12)
  const a = v1sq * c.P3;
  const t3 = v1 * c.P2 * 4096;
  const var1a = Math.floor(a / 256) + t3;
  // var1 = ((2^47 + var1) · P1) >> 33: 2^47 + var1 < 2^48 is split at 2^24
  const b = 140737488355328 + var1a;
  if (!(exact(v1sq) && exact(t1) && exact(t2) && exact(t1 + t2) && exact(var2) && exact(a) && exact(t3) && exact(var1a)) || b < 0 || b >= 281474976710656) {
    return compensatePressureInt64(adcP, tFine, c);
  }
  const bh = Math.floor(b / 16777216);
  const y = (b - bh * 16777216) * c.P1; // < 2^40
  const d = Math.floor((bh * c.P1 + Math.floor(y / 16777216)) / 512); // < 2^32, ≥ 0 (P1 is unsigned)
  if (d === 0) return 0;
  // p = (((1048576 − adcP) << 31) − var2) · 3125 / var1, truncated toward zero as C does;
  // |n| · 3125 = (nh · 3125) · 2^20 + nl · 3125, divided limb by limb
  const n = (1048576 - adcP) * 2147483648 - var2;
  if (!exact(n)) return compensatePressureInt64(adcP, tFine, c);
  const an = Math.abs(n);
  const nh = Math.floor(an / 1048576);
  const h = nh * 3125; // < 2^46
  const q1 = floorDiv(h, d);
  const lo = (h - q1 * d) * 1048576 + (an - nh * 1048576) * 3125; // < 2^52 + 2^32
  const q = q1 * 1048576 + floorDiv(lo, d);
  if (!exact(lo) || !exact(q)) return compensatePressureInt64(adcP, tFine, c);
  const p = n < 0 ? -q : q;
  // var1 = (P9 · (p >> 13) · (p >> 13)) >> 25, the second factor split at 2^10:
  // (f · sh · 2^10 + g) >> 25 = (f · sh + (g >> 10)) >> 15 with f = P9 · s, g = f · (s mod 2^10)
  const s13 = Math.floor(p / 8192);
  const f = c.P9 * s13;
  const sh = Math.floor(s13 / 1024);
  const g = f * (s13 - sh * 1024);
  const fsh = f * sh + Math.floor(g / 1024);
  // var2 = (P8 · p) >> 19
  const p8 = c.P8 * p;
  const sum = p + Math.floor(fsh / 32768) + Math.floor(p8 / 524288);
  if (!(exact(f) && exact(g) && exact(f * sh) && exact(fsh) && exact(p8) && exact(sum))) return compensatePressureInt64(adcP, tFine, c);
  return Math.floor(sum / 256) + c.P7 * 16;
}

/** An integer a double holds exactly (a result that left ±2^53 was rounded, and fails this). */
function exact(v: number): boolean {
  return Number.isSafeInteger(v);
}

/** ⌊a / b⌋ of non-negative integers below 2^53, exact (the quotient of doubles corrected by one where it rounded). */
function floorDiv(a: number, b: number): number {
  let q = Math.floor(a / b);
  if (q * b > a) q--;
  else if ((q + 1) * b <= a) q++;
  return q;
}

/** Pressure with 64-bit integers as published (datasheet 4.2.3), in BigInt: the reference of compensatePressure. */
export function compensatePressureInt64(adcP: number, tFine: number, c: Calibration): number {
  let var1 = BigInt(tFine) - 128000n;
  let var2 = var1 * var1 * BigInt(c.P6);
  var2 = var2 + ((var1 * BigInt(c.P5)) << 17n);
  var2 = var2 + (BigInt(c.P4) << 35n);
  var1 = ((var1 * var1 * BigInt(c.P3)) >> 8n) + ((var1 * BigInt(c.P2)) << 12n);
  var1 = (((1n << 47n) + var1) * BigInt(c.P1)) >> 33n;
  if (var1 === 0n) return 0;
  let p = 1048576n - BigInt(adcP);
  p = (((p << 31n) - var2) * 3125n) / var1; // C division truncates toward zero, as BigInt does
  var1 = (BigInt(c.P9) * (p >> 13n) * (p >> 13n)) >> 25n;
  var2 = (BigInt(c.P8) * p) >> 19n;
  p = ((p + var1 + var2) >> 8n) + (BigInt(c.P7) << 4n);
  return Number(p);
}

/**
 * Relative humidity, datasheet 4.2.3 bme280_compensate_H_int32, in %RH as Q22.10:
 * 47445 → 47445/1024 = 46.333 %RH. Clamped by the formula to 0..100 %RH.
 */
export function compensateHumidity(adcH: number, tFine: number, c: Calibration): number {
  let v = tFine - 76800;
  v =
    ((((adcH << 14) - (c.H4 << 20) - c.H5 * v + 16384) >> 15) *
      (((((((v * c.H6) >> 10) * (((v * c.H3) >> 11) + 32768)) >> 10) + 2097152) * c.H2 + 8192) >> 14));
  v = v - (((((v >> 15) * (v >> 15)) >> 7) * c.H1) >> 4);
  v = v < 0 ? 0 : v;
  v = v > 419430400 ? 419430400 : v;
  return v >> 12;
}
