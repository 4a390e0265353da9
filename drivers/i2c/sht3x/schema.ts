import { z } from 'zod';
import { i2cAddress } from '../../schema-parts.js';
import type { DeviceCommon } from '../../types.js';
import { ADDRESSES, type Repeatability } from './registers.js';

/** Profile keys of an SHT3x entry (SHT30, SHT31, SHT35 share commands and conversion). */
export const sht3xOptions = {
  type: z.literal('sht3x'),
  bus: z.string().meta({ description: 'name of an I²C bus under buses.i2c' }),
  address: i2cAddress('SHT3x', ADDRESSES).default(0x44),
  repeatability: z
    .enum(['high', 'medium', 'low'])
    .default('high')
    .meta({ description: 'measurement repeatability: high (15 ms, 0.04 °C noise) … low (4 ms, 0.15 °C)' }),
  clockStretching: z
    .boolean()
    .default(false)
    .meta({ description: 'let the sensor hold SCL during the measurement; off by default because the Raspberry Pi I²C controller mishandles clock stretching' }),
  heater: z.boolean().default(false).meta({ description: 'keep the on-chip heater on (raises the reading by a few °C; for condensation checks only)' }),
};

export interface Sht3xOptions extends DeviceCommon {
  readonly type: 'sht3x';
  readonly bus: string;
  readonly address: number;
  readonly repeatability: Repeatability;
  readonly clockStretching: boolean;
  readonly heater: boolean;
}
