import type { DeviceDefinition } from '../../types.js';
import { gpioOutputPart } from './driver.js';
import { type GpioOutputOptions, gpioOutputOptions } from './schema.js';

export * from './driver.js';

/** The whole definition: the part (driver.ts, what the sampling thread loads) and its profile options (schema.ts). */
export const gpioOutput: DeviceDefinition<GpioOutputOptions> = { ...gpioOutputPart, options: gpioOutputOptions };
