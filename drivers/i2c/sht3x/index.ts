import type { DeviceDefinition } from '../../types.js';
import { sht3xPart } from './driver.js';
import { type Sht3xOptions, sht3xOptions } from './schema.js';

export * from './driver.js';

/** The whole definition: the part (driver.ts, what the sampling thread loads) and its profile options (schema.ts). */
export const sht3x: DeviceDefinition<Sht3xOptions> = { ...sht3xPart, options: sht3xOptions };
