/**
 * ADS1115 register map and config fields (TI ADS111x datasheet SBAS444, section 9.6).
 * Registers are 16 bits, MSB first. The address pointer register selects which one a read or
 * write reaches; its bits [7:2] are reserved and must be written 0 (9.6.1).
 */

/** ADDR tied to GND → 0x48, VDD → 0x49, SDA → 0x4A, SCL → 0x4B (table 4). */
export const ADDRESSES = [0x48, 0x49, 0x4a, 0x4b] as const;

export const REG = { CONVERSION: 0, CONFIG: 1, LO_THRESH: 2, HI_THRESH: 3 } as const;

/** Reset values (9.6.3, 9.6.4): config 0x8583 = idle, AIN0-AIN1, ±2.048 V, single-shot, 128 SPS, comparator off. */
export const CONFIG_RESET = 0x8583;
export const LO_THRESH_RESET = 0x8000;
export const HI_THRESH_RESET = 0x7fff;

/** Config fields (table 8). */
export const OS = 1 << 15; // write 1: start a single conversion; read 0: converting, 1: idle
export const MODE_SINGLE = 1 << 8; // 1 = single-shot / power-down, 0 = continuous
export const COMP_QUE_DISABLE = 0b11; // comparator off, ALERT/RDY high-impedance

/** MUX[14:12]: the input pair a conversion measures. */
export const MUX = {
  'ain0-ain1': 0b000,
  'ain0-ain3': 0b001,
  'ain1-ain3': 0b010,
  'ain2-ain3': 0b011,
  ain0: 0b100,
  ain1: 0b101,
  ain2: 0b110,
  ain3: 0b111,
} as const;
export type MuxName = keyof typeof MUX;
export const MUX_NAMES = Object.keys(MUX) as MuxName[];

/** Positive and negative pin of a MUX setting; -1 is GND (single-ended). */
export function muxPins(mux: number): [number, number] {
  const pairs: readonly [number, number][] = [[0, 1], [0, 3], [1, 3], [2, 3], [0, -1], [1, -1], [2, -1], [3, -1]];
  return pairs[mux & 7] as [number, number];
}

/** PGA[11:9] full-scale range, volts (table 8). Codes 101, 110 and 111 all mean ±0.256 V. */
export const FULL_SCALES = [6.144, 4.096, 2.048, 1.024, 0.512, 0.256] as const;
export type FullScale = (typeof FULL_SCALES)[number];
export function pgaCode(fs: number): number {
  const i = (FULL_SCALES as readonly number[]).indexOf(fs);
  if (i < 0) throw new RangeError(`${fs} V is not an ADS1115 full-scale range`);
  return i;
}

/** DR[7:5] data rate, samples per second. */
export const DATA_RATES = [8, 16, 32, 64, 128, 250, 475, 860] as const;
export type DataRate = (typeof DATA_RATES)[number];

/** Nominal conversion time, ms: one sample period, 1000 / DR (128 SPS → 7.8125 ms). */
export function conversionMs(dataRate: number): number {
  return 1000 / dataRate;
}

/**
 * The data rate is accurate to ±10 % (7.1 electrical characteristics), so a driver waits 1.1 ×
 * the nominal period, rounded up: 128 SPS → 9 ms, 8 SPS → 138 ms.
 */
export function conversionWaitMs(dataRate: number): number {
  return Math.ceil(conversionMs(dataRate) * 1.1);
}

export interface ConfigFields {
  readonly mux: number;
  readonly pga: number;
  readonly single: boolean;
  readonly dr: number;
}

/** A single-shot config word with the comparator off; `start` sets OS to begin a conversion. */
export function configWord(f: ConfigFields, start: boolean): number {
  return (start ? OS : 0) | (f.mux << 12) | (f.pga << 9) | (f.single ? MODE_SINGLE : 0) | (f.dr << 5) | COMP_QUE_DISABLE;
}

export function decodeConfig(word: number): ConfigFields & { readonly idle: boolean; readonly compQue: number } {
  return {
    idle: (word & OS) !== 0,
    mux: (word >> 12) & 7,
    pga: (word >> 9) & 7,
    single: (word & MODE_SINGLE) !== 0,
    dr: (word >> 5) & 7,
    compQue: word & 3,
  };
}

/**
 * Output code → volts (9.3.3): LSB = FS / 2¹⁵; codes are two's complement.
 * ±4.096 V: 0x7FFF → 4.095875 V, 0x0001 → 125 µV, 0xFFFF → −125 µV, 0x8000 → −4.096 V.
 */
export function codeToVolts(raw: number, fs: number): number {
  const code = raw & 0x8000 ? raw - 0x10000 : raw;
  return (code * fs) / 32768;
}
