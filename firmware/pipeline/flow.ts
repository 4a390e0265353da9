import type { Sample, SampleSink } from '../reading.js';

/** A stage that looks at raw samples and never changes them: the fault checks (range, stuck, rate). */
export type RawInspector = (s: Sample) => void;

/**
 * The order every sample takes on the sampling thread, made explicit so nobody inserts a
 * smoothing stage in front of the checks:
 *
 *   RunningDevice ─► checks (raw values) ─► pipeline (calibration · filters · report) ─► uplink
 *
 * A filter must never hide a broken sensor: the checks see exactly what the driver read, and
 * only afterwards does the pipeline calibrate, smooth and decide what leaves the box.
 */
export function sampleFlow(checks: RawInspector | undefined, pipeline: SampleSink): SampleSink {
  if (!checks) return pipeline;
  return (s: Sample): void => {
    checks(s);
    pipeline(s);
  };
}
