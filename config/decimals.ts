import type { PipelineChannelConfig } from './pipeline.js';

/**
 * Decimal places a channel publishes: the profile's `decimals`, else a calibration that ends
 * with `round: N` (the user said how precise the value is), else the part's resolution.
 */
export function publishedDecimals(cfg: PipelineChannelConfig | undefined, partDecimals: number): number {
  if (cfg?.decimals !== undefined) return cfg.decimals;
  const last = cfg?.calibration?.[cfg.calibration.length - 1];
  return last?.op === 'round' ? last.decimals : partDecimals;
}
