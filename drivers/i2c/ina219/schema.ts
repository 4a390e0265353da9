import { z } from 'zod';
import { i2cAddress, oneOf } from '../../schema-parts.js';
import type { DeviceCommon } from '../../types.js';
import { ADDRESSES, AVERAGING, SHUNT_RANGES, calibrationFor, currentLsbFor } from './registers.js';

const SAMPLES = Object.keys(AVERAGING).map(Number) as (1 | 2 | 4 | 8 | 16 | 32 | 64 | 128)[];

/**
 * The shunt on the board and the largest current the box draws. They set the gain and the
 * calibration register; a pair the INA219 cannot represent is a profile error here, not a
 * wrong reading in the field.
 */
const shuntSchema = z
  .strictObject({
    ohms: z.number().positive().max(10).default(0.1).meta({ description: 'shunt resistor, Ω (R100 on most breakout boards = 0.1 Ω)' }),
    maxCurrent: z.number().positive().max(100).default(2).meta({ description: 'largest expected current, A' }),
  })
  .prefault({})
  .superRefine((s, ctx) => {
    const v = s.ohms * s.maxCurrent;
    const top = SHUNT_RANGES[SHUNT_RANGES.length - 1] as number;
    if (v > top) {
      ctx.addIssue({ code: 'custom', message: `maxCurrent ${s.maxCurrent} A × ${s.ohms} Ω = ${(v * 1000).toFixed(1)} mV exceeds the INA219 shunt range of ±320 mV; use a smaller shunt` });
      return;
    }
    const cal = calibrationFor(currentLsbFor(s.maxCurrent), s.ohms);
    if (cal < 2 || cal > 0xfffe) {
      ctx.addIssue({ code: 'custom', message: `maxCurrent ${s.maxCurrent} A with ${s.ohms} Ω gives calibration ${cal}, outside 2..65534 (datasheet 8.5.1); raise maxCurrent or the shunt value` });
    }
  });

/** Profile keys of an INA219 entry. */
export const ina219Options = {
  type: z.literal('ina219'),
  bus: z.string().meta({ description: 'name of an I²C bus under buses.i2c' }),
  address: i2cAddress('INA219', ADDRESSES).default(0x40),
  shunt: shuntSchema,
  busRange: oneOf([16, 32] as const).default(32).meta({ description: 'bus voltage range, V: 16 or 32 (the input itself is rated to 26 V)' }),
  samples: oneOf(SAMPLES).default(1).meta({ description: '12-bit samples averaged per conversion: 1 (0.53 ms) … 128 (68 ms)' }),
};

export interface Ina219Options extends DeviceCommon {
  readonly type: 'ina219';
  readonly bus: string;
  readonly address: number;
  readonly shunt: { readonly ohms: number; readonly maxCurrent: number };
  readonly busRange: 16 | 32;
  readonly samples: 1 | 2 | 4 | 8 | 16 | 32 | 64 | 128;
}
