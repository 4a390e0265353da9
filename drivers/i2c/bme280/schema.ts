import { z } from 'zod';
import { i2cAddress, oneOf } from '../../schema-parts.js';
import type { DeviceCommon } from '../../types.js';
import { ADDRESSES } from './registers.js';

const OVERSAMPLING = [1, 2, 4, 8, 16] as const;

/** Profile keys of a BME280 / BMP280 entry (common keys such as id and interval come from config/). */
export const bme280Options = {
  type: z.literal('bme280'),
  bus: z.string().meta({ description: 'name of an I²C bus under buses.i2c' }),
  address: i2cAddress('BME280', ADDRESSES).default(0x76),
  /** BMP280 has the same registers without humidity (chip id 0x58). */
  variant: z.enum(['bme280', 'bmp280']).default('bme280'),
  oversampling: z
    .strictObject({
      temperature: oneOf(OVERSAMPLING).default(1),
      pressure: oneOf(OVERSAMPLING).default(1),
      humidity: oneOf(OVERSAMPLING).default(1),
    })
    .prefault({})
    .meta({ description: 'oversampling per quantity (×1 … ×16); more = less noise, longer conversion' }),
  filter: z.enum(['off', '2', '4', '8', '16']).default('off').meta({ description: 'IIR filter coefficient' }),
};

export interface Bme280Options extends DeviceCommon {
  readonly type: 'bme280';
  readonly bus: string;
  readonly address: number;
  readonly variant: 'bme280' | 'bmp280';
  readonly oversampling: { readonly temperature: number; readonly pressure: number; readonly humidity: number };
  readonly filter: 'off' | '2' | '4' | '8' | '16';
}
