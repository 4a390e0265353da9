/**
 * BH1750FVI instruction set and timing (ROHM BH1750FVI datasheet, rev. D, pages 5, 7 and 11).
 * The part has no registers: every write is one opcode byte, every read returns the 16-bit
 * count MSB first.
 */

/** ADDR pin low (≤ 0.3 VCC) → 0x23, ADDR high (≥ 0.7 VCC) → 0x5C (page 10). */
export const ADDRESSES = [0x23, 0x5c] as const;

export const OP = {
  POWER_DOWN: 0x00,
  POWER_ON: 0x01, // waiting for a measurement command
  RESET: 0x07, // clears the data register; not accepted in power-down mode
} as const;

export type Resolution = 'high' | 'high2' | 'low';

/** Continuous measurement opcodes: H-resolution 1 lx, H-resolution2 0.5 lx, L-resolution 4 lx. */
export const CONTINUOUS: Readonly<Record<Resolution, number>> = { high: 0x10, high2: 0x11, low: 0x13 };
/** One-time opcodes: measure once, then power down by themselves. */
export const ONE_TIME: Readonly<Record<Resolution, number>> = { high: 0x20, high2: 0x21, low: 0x23 };

/** Measurement time register (MTreg): default 69, allowed 31..254 (page 11). */
export const MTREG_DEFAULT = 69;
export const MTREG_MIN = 31;
export const MTREG_MAX = 254;

/** "Change measurement time" opcodes: 01000_MT[7:5] then 011_MT[4:0]. MTreg 69 → 0x42, 0x65. */
export function mtregOpcodes(mtreg: number): [number, number] {
  return [0x40 | ((mtreg >> 5) & 0x07), 0x60 | (mtreg & 0x1f)];
}

/**
 * Maximum measurement time, ms: H-resolution (both) 180 ms and L-resolution 24 ms at MTreg 69
 * (typical 120 / 16 ms, page 2), proportional to MTreg. MTreg 254 in H-res → 662.6 ms.
 */
export function measureMaxMs(resolution: Resolution, mtreg: number): number {
  return ((resolution === 'low' ? 24 : 180) * mtreg) / MTREG_DEFAULT;
}

/**
 * Count → lux (page 7 and 11): lux = count / 1.2 × (69 / MTreg), halved in H-resolution2.
 * Datasheet example: 0x8390 = 33680 counts at MTreg 69 → 28066.7 lx.
 */
export function countToLux(count: number, resolution: Resolution, mtreg: number): number {
  const lux = (count / 1.2) * (MTREG_DEFAULT / mtreg);
  return resolution === 'high2' ? lux / 2 : lux;
}
