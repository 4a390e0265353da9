import { AVERAGING, SHUNT_RANGES, calibrationFor, currentLsbFor, gainFor } from './registers.js';
import type { Ina219Options } from './schema.js';

export interface Ina219Settings {
  /** PG field 0..3 */
  readonly gain: number;
  /** A per current-register count */
  readonly currentLsb: number;
  /** W per power-register count (20 × currentLsb) */
  readonly powerLsb: number;
  readonly calibration: number;
  /** config word without the MODE field */
  readonly configBase: number;
  /** shunt + bus conversion time, ms */
  readonly conversionMs: number;
}

/**
 * Everything the profile's shunt, range and averaging decide. Worked example (datasheet 8.5.1):
 * 0.1 Ω, 2 A → gain ÷8 (±320 mV ≥ 200 mV), Current_LSB 100 µA, Cal 4096, Power_LSB 2 mW.
 */
export function settings(o: Ina219Options): Ina219Settings {
  const gain = gainFor(o.shunt.ohms * o.shunt.maxCurrent) ?? SHUNT_RANGES.length - 1;
  const currentLsb = currentLsbFor(o.shunt.maxCurrent);
  const adc = AVERAGING[o.samples] ?? { code: 0b0011, us: 532 };
  const configBase = ((o.busRange === 32 ? 1 : 0) << 13) | (gain << 11) | (adc.code << 7) | (adc.code << 3);
  return {
    gain,
    currentLsb,
    powerLsb: 20 * currentLsb,
    calibration: calibrationFor(currentLsb, o.shunt.ohms),
    configBase,
    conversionMs: (2 * adc.us) / 1000,
  };
}
