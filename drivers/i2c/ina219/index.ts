import type { DeviceDefinition } from '../../types.js';
import { ina219Part } from './driver.js';
import { type Ina219Options, ina219Options } from './schema.js';

export * from './driver.js';

/** The whole definition: the part (driver.ts, what the sampling thread loads) and its profile options (schema.ts). */
export const ina219: DeviceDefinition<Ina219Options> = { ...ina219Part, options: ina219Options };
