import { bme280 } from './i2c/bme280/index.js';
import { gpioInput } from './gpio/input/index.js';
import { gpioOutput } from './gpio/output/index.js';
import { firmata } from './firmata/index.js';
import type { DeviceCommon, DeviceDefinition } from './types.js';

/**
 * Every device type edgefw knows. A new device is one folder under drivers/ and one line here;
 * the profile schema, the contract suites, `scan` and the docs pick it up from this list.
 */
export const DEVICE_TYPES: readonly DeviceDefinition<DeviceCommon & any>[] = [
  bme280,
  gpioInput,
  gpioOutput,
  firmata,
];

export function deviceType(type: string): DeviceDefinition<DeviceCommon & any> | undefined {
  return DEVICE_TYPES.find((d) => d.type === type);
}
