import type { DeviceDefinition } from '../../types.js';
import { bh1750Part } from './driver.js';
import { type Bh1750Options, bh1750Options } from './schema.js';

export * from './driver.js';

/** The whole definition: the part (driver.ts, what the sampling thread loads) and its profile options (schema.ts). */
export const bh1750: DeviceDefinition<Bh1750Options> = { ...bh1750Part, options: bh1750Options };
