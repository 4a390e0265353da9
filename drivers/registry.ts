import { bme280 } from './i2c/bme280/index.js';
import { gpioInput } from './gpio/input/index.js';
import { gpioOutput } from './gpio/output/index.js';
import { firmata } from './firmata/index.js';
import { mhz19b } from './serial/mhz19b/index.js';
import { modbusRtu } from './serial/modbus-rtu/index.js';
import { nmeaGps } from './serial/nmea-gps/index.js';
import { pms5003 } from './serial/pms5003/index.js';
import { sds011 } from './serial/sds011/index.js';
import { sht3x } from './i2c/sht3x/index.js';
import { bh1750 } from './i2c/bh1750/index.js';
import { ads1115 } from './i2c/ads1115/index.js';
import { ina219 } from './i2c/ina219/index.js';
import { scd4x } from './i2c/scd4x/index.js';
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
  pms5003,
  sds011,
  mhz19b,
  nmeaGps,
  modbusRtu,
  sht3x,
  bh1750,
  ads1115,
  ina219,
  scd4x,
];

export function deviceType(type: string): DeviceDefinition<DeviceCommon & any> | undefined {
  return DEVICE_TYPES.find((d) => d.type === type);
}
