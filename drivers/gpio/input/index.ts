import type { DeviceDefinition } from '../../types.js';
import { gpioInputPart } from './driver.js';
import { type GpioInputOptions, gpioInputOptions } from './schema.js';

export * from './driver.js';

/** The whole definition: the part (driver.ts, what the sampling thread loads) and its profile options (schema.ts). */
export const gpioInput: DeviceDefinition<GpioInputOptions> = { ...gpioInputPart, options: gpioInputOptions };
