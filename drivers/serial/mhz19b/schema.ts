import { z } from 'zod';
import { duration, oneOf } from '../../schema-parts.js';
import { type SerialDeviceOptions, serialOptions } from '../options.js';

/** Profile keys of an MH-Z19B entry. */
export const mhz19bOptions = {
  type: z.literal('mhz19b'),
  ...serialOptions('MH-Z19B', { baud: 9600, bauds: [9600] }),
  range: oneOf([2000, 5000, 10000] as const).default(5000).meta({ description: 'detection range, ppm (set at init)' }),
  abc: z
    .boolean()
    .default(true)
    .meta({ description: 'automatic baseline correction: right for rooms aired daily; turn off in greenhouses and closed spaces' }),
  warmup: duration('warmup', { min: 0, max: 600_000 }).default(180_000).meta({ description: 'preheat time after power-up (datasheet: 3 min); readings dropped' }),
  responseTimeout: duration('responseTimeout', { min: 50, max: 10_000 }).default(300).meta({ description: 'wait for an answer, ms' }),
  retries: z.number().int().min(0).max(5).default(2).meta({ description: 'read commands re-sent after a timeout' }),
};

export interface Mhz19bOptions extends Omit<SerialDeviceOptions, 'staleAfter'> {
  readonly type: 'mhz19b';
  readonly range: 2000 | 5000 | 10000;
  readonly abc: boolean;
  readonly warmup: number;
  readonly responseTimeout: number;
  readonly retries: number;
}
