import { z } from 'zod';
import { channelChecks } from './checks.js';
import { pipelineChannelKeys } from './pipeline.js';

/**
 * Per-channel settings in a profile (`devices[i].channels.<name>`): value checks and the
 * signal pipeline attach here. Keys are validated against the driver's channel list.
 */
export const channelConfig = z.strictObject({
  /** publish under another name (e.g. "indoor_temperature") */
  rename: z.string().regex(/^[a-z][a-z0-9_]*$/).optional(),
  checks: channelChecks.optional(),
  /** signal pipeline: calibration, filters, report (config/pipeline.ts, docs/pipeline.md) */
  ...pipelineChannelKeys,
});

export type ChannelConfig = z.infer<typeof channelConfig>;
