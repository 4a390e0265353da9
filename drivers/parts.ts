import { bme280Part } from './i2c/bme280/driver.js';
import { gpioInputPart } from './gpio/input/driver.js';
import { gpioOutputPart } from './gpio/output/driver.js';
import { firmataPart } from './firmata/driver.js';
import { mhz19bPart } from './serial/mhz19b/driver.js';
import { modbusRtuPart } from './serial/modbus-rtu/driver.js';
import { nmeaGpsPart } from './serial/nmea-gps/driver.js';
import { pms5003Part } from './serial/pms5003/driver.js';
import { sds011Part } from './serial/sds011/driver.js';
import { sht3xPart } from './i2c/sht3x/driver.js';
import { bh1750Part } from './i2c/bh1750/driver.js';
import { ads1115Part } from './i2c/ads1115/driver.js';
import { ina219Part } from './i2c/ina219/driver.js';
import { scd4xPart } from './i2c/scd4x/driver.js';
import type { DeviceCommon, DevicePart } from './types.js';

/**
 * Every device type edgefw knows, as the sampling thread uses them: drivers, channels, bus
 * details, without their profile option schemas (those are in drivers/registry.ts, for the profile
 * check, the tools and the docs). Keep both lists in the same order; a test compares them.
 */
export const DEVICE_PARTS: readonly DevicePart<DeviceCommon & any>[] = [
  bme280Part,
  gpioInputPart,
  gpioOutputPart,
  firmataPart,
  pms5003Part,
  sds011Part,
  mhz19bPart,
  nmeaGpsPart,
  modbusRtuPart,
  sht3xPart,
  bh1750Part,
  ads1115Part,
  ina219Part,
  scd4xPart,
];

export function devicePart(type: string): DevicePart<DeviceCommon & any> | undefined {
  return DEVICE_PARTS.find((d) => d.type === type);
}
