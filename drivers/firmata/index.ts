import type { DeviceDefinition } from '../types.js';
import { firmataPart } from './driver.js';
import { type FirmataOptions, firmataOptions } from './schema.js';

export * from './driver.js';

/** The whole definition: the part (driver.ts, what the sampling thread loads) and its profile options (schema.ts). */
export const firmata: DeviceDefinition<FirmataOptions> = { ...firmataPart, options: firmataOptions };
