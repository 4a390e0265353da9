import type { DeviceDefinition } from '../../types.js';
import { pms5003Part } from './driver.js';
import { type Pms5003Options, pms5003Options } from './schema.js';

export * from './driver.js';

/** The whole definition: the part (driver.ts, what the sampling thread loads) and its profile options (schema.ts). */
export const pms5003: DeviceDefinition<Pms5003Options> = { ...pms5003Part, options: pms5003Options };
