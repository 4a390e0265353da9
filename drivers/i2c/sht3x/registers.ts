/**
 * SHT3x-DIS commands and timings (Sensirion SHT3x-DIS datasheet, version 7, sections 2.2 and 4).
 * Every command is 16 bits, sent MSB first; there are no registers.
 */

/** ADDR pin low → 0x44 (default), ADDR pin high → 0x45 (table 7). */
export const ADDRESSES = [0x44, 0x45] as const;

export type Repeatability = 'high' | 'medium' | 'low';

/** Single-shot measurement commands (table 9): clock stretching enabled 0x2Cxx, disabled 0x24xx. */
export const SINGLE_SHOT: Readonly<Record<'stretch' | 'noStretch', Readonly<Record<Repeatability, number>>>> = {
  stretch: { high: 0x2c06, medium: 0x2c0d, low: 0x2c10 },
  noStretch: { high: 0x2400, medium: 0x240b, low: 0x2416 },
};

/** Maximum measurement duration per repeatability, ms (table 4: 15 / 6 / 4 ms). */
export const MEASURE_MAX_MS: Readonly<Record<Repeatability, number>> = { high: 15, medium: 6, low: 4 };

export const CMD = {
  SOFT_RESET: 0x30a2, // 4.9: the sensor reloads its calibration; ready after 1.5 ms
  HEATER_ENABLE: 0x306d, // 4.10: heater on (a few °C of self-heating, for plausibility checks)
  HEATER_DISABLE: 0x3066,
  READ_STATUS: 0xf32d, // 4.11: returns one word + CRC
  CLEAR_STATUS: 0x3041,
  BREAK: 0x3093, // stops periodic mode; we only use single shot, listed for the simulator
} as const;

/** Soft reset time until the sensor accepts commands again, ms (table 4, t_SR). */
export const SOFT_RESET_MS = 1.5;

/** Status register bits (table 17). */
export const STATUS = {
  ALERT_PENDING: 1 << 15,
  HEATER_ON: 1 << 13,
  RH_ALERT: 1 << 11,
  T_ALERT: 1 << 10,
  RESET_DETECTED: 1 << 4, // set by power-on, soft or hard reset; cleared by CLEAR_STATUS
  COMMAND_FAILED: 1 << 1, // last command not processed (invalid, or failed checksum)
  WRITE_CRC_FAILED: 1 << 0,
} as const;

/** Status right after power-on or reset: alert pending and reset detected (0x8010). */
export const STATUS_AFTER_RESET = STATUS.ALERT_PENDING | STATUS.RESET_DETECTED;
