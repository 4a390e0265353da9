import type { DeviceDefinition } from '../../types.js';
import { scd4xPart } from './driver.js';
import { type Scd4xOptions, scd4xOptions } from './schema.js';

export * from './driver.js';

/** The whole definition: the part (driver.ts, what the sampling thread loads) and its profile options (schema.ts). */
export const scd4x: DeviceDefinition<Scd4xOptions> = { ...scd4xPart, options: scd4xOptions };
