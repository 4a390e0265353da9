import { z } from 'zod';
import { duration } from '../../schema-parts.js';
import { type SerialDeviceOptions, serialOptions } from '../options.js';

/** Profile keys of an SDS011 entry. */
export const sds011Options = {
  type: z.literal('sds011'),
  ...serialOptions('SDS011', { baud: 9600, bauds: [9600], staleAfter: 10_000 }),
  mode: z
    .enum(['active', 'query'])
    .default('active')
    .meta({ description: 'active: the part streams; query: it answers a query command per sample' }),
  workPeriod: z
    .number()
    .int()
    .min(0)
    .max(30)
    .default(0)
    .meta({ description: 'active mode: 0 = a frame every second, n = fan on for 30 s then one frame every n minutes (extends laser life)' }),
  responseTimeout: duration('responseTimeout', { min: 50, max: 10_000 }).default(300).meta({ description: 'query mode: wait for a frame, ms' }),
  retries: z.number().int().min(0).max(5).default(2),
};

export interface Sds011Options extends SerialDeviceOptions {
  readonly type: 'sds011';
  readonly mode: 'active' | 'query';
  readonly workPeriod: number;
  readonly responseTimeout: number;
  readonly retries: number;
}
