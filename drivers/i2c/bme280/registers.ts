/**
 * BME280 / BMP280 register map (Bosch BME280 datasheet BST-BME280-DS002, section 5.3 and 5.4;
 * BMP280 datasheet BST-BMP280-DS001 section 4.3).
 */
export const REG = {
  CALIB_00: 0x88, // calib00..calib25: dig_T1..dig_P9, (0xA0 unused), dig_H1 at 0xA1
  DIG_H1: 0xa1,
  CHIP_ID: 0xd0,
  RESET: 0xe0,
  CALIB_26: 0xe1, // calib26..calib32 used: dig_H2..dig_H6 (0xE1..0xE7)
  CTRL_HUM: 0xf2,
  STATUS: 0xf3,
  CTRL_MEAS: 0xf4,
  CONFIG: 0xf5,
  DATA: 0xf7, // press_msb .. hum_lsb, 8 bytes (BMP280: 6 bytes, no humidity)
} as const;

export const CHIP_ID_BME280 = 0x60;
/** BMP280 mass production id; 0x56 and 0x57 are engineering samples (BMP280 datasheet 4.3.1). */
export const CHIP_ID_BMP280 = 0x58;
export const CHIP_IDS_BMP280_SAMPLES = [0x56, 0x57] as const;

/** Writing this to RESET performs a power-on reset (datasheet 5.4.2). */
export const RESET_WORD = 0xb6;
/** Start-up time after power-on or soft reset before registers may be accessed, ms (table 1). */
export const STARTUP_MS = 2;

export const ADDRESSES = [0x76, 0x77] as const;

/** STATUS bits (5.4.4): measuring = conversion running; im_update = NVM being copied. */
export const STATUS_MEASURING = 0x08;
export const STATUS_IM_UPDATE = 0x01;

/** CTRL_MEAS mode field [1:0] (5.4.5): 00 sleep, 01 or 10 forced, 11 normal. */
export const MODE_SLEEP = 0b00;
export const MODE_FORCED = 0b01;
export const MODE_NORMAL = 0b11;

/** Oversampling code for osrs_x fields (table 20/23/24): 0 = skipped, 1..5 = x1..x16. */
export const OSRS_CODE: Readonly<Record<number, number>> = { 1: 1, 2: 2, 4: 3, 8: 4, 16: 5 };
/** IIR filter coefficient code for config.filter [4:2] (table 28). */
export const FILTER_CODE: Readonly<Record<string, number>> = { off: 0, '2': 1, '4': 2, '8': 3, '16': 4 };

/** A channel whose oversampling is 0 ("skipped") reads this raw value (5.4.7-5.4.9). */
export const SKIPPED_20BIT = 0x80000;
export const SKIPPED_16BIT = 0x8000;

/**
 * Maximum measurement time in forced mode, ms (datasheet 9.1 / appendix B):
 * t = 1.25 + 2.3·osrs_t + (2.3·osrs_p + 0.575) + (2.3·osrs_h + 0.575), a term dropped when skipped.
 * Example: all ×1 → 1.25 + 2.3 + 2.875 + 2.875 = 9.3 ms.
 */
export function measureTimeMaxMs(osrsT: number, osrsP: number, osrsH: number): number {
  let t = 1.25;
  if (osrsT > 0) t += 2.3 * osrsT;
  if (osrsP > 0) t += 2.3 * osrsP + 0.575;
  if (osrsH > 0) t += 2.3 * osrsH + 0.575;
  return t;
}
