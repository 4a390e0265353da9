import type { DeviceDefinition } from '../../types.js';
import { bme280Part } from './driver.js';
import { type Bme280Options, bme280Options } from './schema.js';

export * from './driver.js';

/** The whole definition: the part (driver.ts, what the sampling thread loads) and its profile options (schema.ts). */
export const bme280: DeviceDefinition<Bme280Options> = { ...bme280Part, options: bme280Options };
