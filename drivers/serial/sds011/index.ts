import type { DeviceDefinition } from '../../types.js';
import { sds011Part } from './driver.js';
import { type Sds011Options, sds011Options } from './schema.js';

export * from './driver.js';

/** The whole definition: the part (driver.ts, what the sampling thread loads) and its profile options (schema.ts). */
export const sds011: DeviceDefinition<Sds011Options> = { ...sds011Part, options: sds011Options };
