import { z } from 'zod';
import { duration, i2cAddress } from '../../schema-parts.js';
import type { DeviceCommon } from '../../types.js';
import { ADDRESS, MEASUREMENT_INTERVAL_MS } from './registers.js';

/** Profile keys of an SCD4x entry. */
export const scd4xOptions = {
  type: z.literal('scd4x'),
  bus: z.string().meta({ description: 'name of an I²C bus under buses.i2c' }),
  address: i2cAddress('SCD4x', [ADDRESS]).default(ADDRESS),
  // the sensor delivers one measurement every 5 s; sampling faster only repeats waits
  interval: duration('interval (the SCD4x measures every 5 s)', { min: MEASUREMENT_INTERVAL_MS, max: 86_400_000 }).default(MEASUREMENT_INTERVAL_MS),
  // the first read after start waits 500 ms (stop) + 5 s (first measurement)
  timeout: duration('timeout (the first SCD4x read takes 5.5 s)', { min: 6000, max: 600_000 }).default(7000),
  altitude: z
    .number()
    .int()
    .min(0)
    .max(3000)
    .default(0)
    .meta({ description: 'height of the site above sea level, m: the sensor compensates CO₂ for air pressure with it' }),
};

export interface Scd4xOptions extends DeviceCommon {
  readonly type: 'scd4x';
  readonly bus: string;
  readonly address: number;
  readonly altitude: number;
}
