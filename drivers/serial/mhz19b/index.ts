import type { DeviceDefinition } from '../../types.js';
import { mhz19bPart } from './driver.js';
import { type Mhz19bOptions, mhz19bOptions } from './schema.js';

export * from './driver.js';

/** The whole definition: the part (driver.ts, what the sampling thread loads) and its profile options (schema.ts). */
export const mhz19b: DeviceDefinition<Mhz19bOptions> = { ...mhz19bPart, options: mhz19bOptions };
