import type { Ads1115Input } from './schema.js';

/** Volts at the input → the channel's engineering value. */
export function toValue(input: Ads1115Input, volts: number): number {
  const s = input.scale;
  if (!s) return volts;
  return s.values[0] + ((volts - s.volts[0]) * (s.values[1] - s.values[0])) / (s.volts[1] - s.volts[0]);
}
