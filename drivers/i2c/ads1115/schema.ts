import { z } from 'zod';
import { i2cAddress, oneOf } from '../../schema-parts.js';
import type { DeviceCommon } from '../../types.js';
import { ADDRESSES, DATA_RATES, type DataRate, FULL_SCALES, type FullScale, MUX_NAMES, type MuxName } from './registers.js';

const point = z.tuple([z.number(), z.number()]);

/**
 * Two-point linear scaling from input volts to the engineering unit of the sensor behind the
 * input: `volts: [0.6, 2.6], values: [30, 130]` maps 0.6 V → 30 dB and 2.6 V → 130 dB.
 */
const scaleSchema = z
  .strictObject({ volts: point, values: point })
  .refine((s) => s.volts[0] !== s.volts[1], { error: 'scale.volts needs two different voltages' })
  .refine((s) => s.values[0] !== s.values[1], { error: 'scale.values needs two different values' });

const inputSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_]*$/, { error: (iss) => `${JSON.stringify(iss.input)} is not a channel name (lower-case letters, digits, _)` }),
  input: z.enum(MUX_NAMES as [MuxName, ...MuxName[]]).meta({ description: 'ain0..ain3 against GND, or a differential pair ain0-ain1, ain0-ain3, ain1-ain3, ain2-ain3' }),
  fullScale: oneOf(FULL_SCALES).default(4.096).meta({ description: 'PGA full-scale range in volts: 6.144, 4.096, 2.048, 1.024, 0.512, 0.256' }),
  unit: z.string().min(1).default('V').meta({ description: 'unit of the scaled value, e.g. "dB", "%", "ppm"' }),
  scale: scaleSchema.optional().meta({ description: 'linear volts → value mapping; without it the channel reports volts' }),
});

/** Profile keys of an ADS1115 entry: one channel per declared input. */
export const ads1115Options = {
  type: z.literal('ads1115'),
  bus: z.string().meta({ description: 'name of an I²C bus under buses.i2c' }),
  address: i2cAddress('ADS1115', ADDRESSES).default(0x48),
  dataRate: oneOf(DATA_RATES).default(128).meta({ description: 'samples per second: 8 … 860; lower = less noise, longer conversion' }),
  inputs: z
    .array(inputSchema)
    .min(1, { error: 'an ADS1115 needs at least one entry under inputs' })
    .max(8)
    .superRefine((inputs, ctx) => {
      const seen = new Set<string>();
      inputs.forEach((i, k) => {
        if (seen.has(i.name)) ctx.addIssue({ code: 'custom', path: [k, 'name'], message: `input name "${i.name}" is used twice` });
        seen.add(i.name);
      });
    }),
};

export interface Ads1115Input {
  readonly name: string;
  readonly input: MuxName;
  readonly fullScale: FullScale;
  readonly unit: string;
  readonly scale?: { readonly volts: readonly [number, number]; readonly values: readonly [number, number] };
}

export interface Ads1115Options extends DeviceCommon {
  readonly type: 'ads1115';
  readonly bus: string;
  readonly address: number;
  readonly dataRate: DataRate;
  readonly inputs: readonly Ads1115Input[];
}

