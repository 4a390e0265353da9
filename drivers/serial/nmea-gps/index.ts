import type { DeviceDefinition } from '../../types.js';
import { nmeaGpsPart } from './driver.js';
import { type NmeaGpsOptions, nmeaGpsOptions } from './schema.js';

export * from './driver.js';

/** The whole definition: the part (driver.ts, what the sampling thread loads) and its profile options (schema.ts). */
export const nmeaGps: DeviceDefinition<NmeaGpsOptions> = { ...nmeaGpsPart, options: nmeaGpsOptions };
