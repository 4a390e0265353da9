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
 */
export function compensatePressure(adcP: number, tFine: number, c: Calibration): number {
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
