import { z } from 'zod';
import { i2cAddress } from '../../schema-parts.js';
import type { DeviceCommon } from '../../types.js';
import { ADDRESSES, MTREG_DEFAULT, MTREG_MAX, MTREG_MIN, type Resolution } from './registers.js';

/** Profile keys of a BH1750 entry. */
export const bh1750Options = {
  type: z.literal('bh1750'),
  bus: z.string().meta({ description: 'name of an I²C bus under buses.i2c' }),
  address: i2cAddress('BH1750', ADDRESSES).default(0x23),
  mode: z
    .enum(['one-time', 'continuous'])
    .default('one-time')
    .meta({ description: 'one-time: measure on each read, power down in between; continuous: the part measures all the time' }),
  resolution: z
    .enum(['high', 'high2', 'low'])
    .default('high')
    .meta({ description: 'high: 1 lx steps, 180 ms; high2: 0.5 lx, 180 ms; low: 4 lx, 24 ms (at MTreg 69)' }),
  mtreg: z
    .number()
    .int()
    .min(MTREG_MIN, { error: `mtreg below ${MTREG_MIN} is not allowed by the BH1750 (31..254)` })
    .max(MTREG_MAX, { error: `mtreg above ${MTREG_MAX} is not allowed by the BH1750 (31..254)` })
    .default(MTREG_DEFAULT)
    .meta({ description: 'measurement time register 31..254: larger = more sensitive (behind dark glass), slower' }),
};

export interface Bh1750Options extends DeviceCommon {
  readonly type: 'bh1750';
  readonly bus: string;
  readonly address: number;
  readonly mode: 'one-time' | 'continuous';
  readonly resolution: Resolution;
  readonly mtreg: number;
}
