import type { DeviceDefinition } from '../../types.js';
import { ads1115Part } from './driver.js';
import { type Ads1115Options, ads1115Options } from './schema.js';

export * from './driver.js';

/** The whole definition: the part (driver.ts, what the sampling thread loads) and its profile options (schema.ts). */
export const ads1115: DeviceDefinition<Ads1115Options> = { ...ads1115Part, options: ads1115Options };
