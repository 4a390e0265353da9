import type { TimeSource } from '../drivers/bus/clock.js';

/** One value of one channel (the channel's unit travels with it). */
export interface SampleValue {
  readonly channel: string;
  readonly value: number;
  readonly unit: string;
}

/**
 * A sample: every channel of one device read at one time. It is the unit that travels from the
 * sampling thread to the uplink, and the unit the per-device sequence counts.
 *
 * - monoMs: monotonic time of the read on the sampling thread (performance.now()); used for
 *   ordering and to re-stamp wall time once the clock becomes trusted.
 * - wallMs: Unix epoch ms when read; trustworthy only if timeSource is not 'none'.
 * - kind: 'sample' (a scheduled read), 'event' (an edge, a press, a streamed frame),
 *   'aggregate' (a mean/min/max over `window`, from the signal pipeline).
 */
export interface Sample {
  readonly device: string;
  readonly kind: 'sample' | 'event' | 'aggregate';
  readonly monoMs: number;
  readonly wallMs: number;
  readonly timeSource: TimeSource;
  readonly values: readonly SampleValue[];
  readonly window?: { readonly startMs: number; readonly endMs: number; readonly count: number };
}

/** Where samples go when they leave a device (the pipeline, then the uplink). */
export type SampleSink = (sample: Sample) => void;
