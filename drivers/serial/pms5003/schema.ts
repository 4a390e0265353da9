import { z } from 'zod';
import { duration } from '../../schema-parts.js';
import { type SerialDeviceOptions, serialOptions } from '../options.js';

/** Profile keys of a PMS5003 / PMSA003 entry. */
export const pms5003Options = {
  type: z.literal('pms5003'),
  ...serialOptions('PMS5003', { baud: 9600, bauds: [9600], staleAfter: 10_000 }),
  mode: z
    .enum(['active', 'passive'])
    .default('active')
    .meta({ description: 'active: the part streams a frame every 0.2–2.3 s; passive: it answers a read command per sample' }),
  warmup: duration('warmup', { min: 0, max: 600_000 })
    .default(30_000)
    .meta({ description: 'readings after power-up or wake are dropped for this long (fan settling; datasheet: at least 30 s)' }),
  responseTimeout: duration('responseTimeout', { min: 50, max: 10_000 }).default(300).meta({ description: 'passive mode: wait for a frame, ms' }),
  retries: z.number().int().min(0).max(5).default(2).meta({ description: 'passive mode: read commands re-sent after a timeout' }),
};

export interface Pms5003Options extends SerialDeviceOptions {
  readonly type: 'pms5003';
  readonly mode: 'active' | 'passive';
  readonly warmup: number;
  readonly responseTimeout: number;
  readonly retries: number;
}
