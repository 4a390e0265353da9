import { z } from 'zod';
import { duration } from '../drivers/schema-parts.js';

/**
 * Value checks of one channel (`devices[i].channels.<name>.checks`), applied to raw readings on
 * the sampling thread before any filtering. Each check raises its own fault on the channel
 * (subject "<device>/<channel>") and clears it when values are good again.
 *
 *   channels:
 *     temperature:
 *       checks:
 *         range: { min: -30, max: 60 }      # VALUE_OUT_OF_RANGE outside, in the channel's unit
 *         stuck: { samples: 30 }            # SENSOR_STUCK after 30 identical samples in a row
 *         rate: { max: 5, per: 1m }         # VALUE_RATE when it moves more than 5 °C per minute
 *         staleMax: 30s                     # SENSOR_STALE when no reading arrived for 30 s
 */
export const channelChecks = z
  .strictObject({
    range: z
      .strictObject({ min: z.number().optional(), max: z.number().optional() })
      .refine((r) => r.min === undefined || r.max === undefined || r.min < r.max, { error: 'range.min must be below range.max' })
      .optional()
      .meta({ description: 'plausible values, in the channel unit' }),
    stuck: z
      .strictObject({
        samples: z.number().int().min(2).max(100_000).meta({ description: 'identical samples in a row that count as stuck' }),
        tolerance: z.number().min(0).default(0).meta({ description: 'changes up to this much still count as identical' }),
      })
      .optional(),
    rate: z
      .strictObject({
        max: z.number().positive().meta({ description: 'largest plausible change, in the channel unit' }),
        per: duration('rate.per', { min: 1, max: 86_400_000 }).default(1000).meta({ description: 'the time the change is measured over' }),
      })
      .optional(),
    staleMax: duration('staleMax', { min: 10, max: 86_400_000 }).optional().meta({ description: 'longest time without a reading' }),
  })
  .meta({ description: 'value checks on raw readings: range, stuck, rate of change, staleness' });

export type ChannelChecks = z.infer<typeof channelChecks>;
