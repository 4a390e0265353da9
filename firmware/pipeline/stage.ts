/**
 * One step of a channel's chain. The chain hands every stage the same two-slot buffer so that
 * nothing is allocated per sample (a double returned from a call that V8 does not inline is
 * boxed on the heap; a double written into a Float64Array is not):
 *
 *   io[0]  the value, in the channel's unit (in: from the previous stage; out: to the next)
 *   io[1]  the sample's monotonic time, ms (read-only; filters take time from here, never
 *          from a clock, so they are exact on a fake clock and never own a timer)
 *
 * step() returns false when the stage holds the value back (a window not due, a warm-up, a
 * sentinel); the chain stops there for this sample.
 */
export interface Stage {
  step(io: Float64Array): boolean;
  /** forget everything (a device re-initialised after a failure starts a fresh warm-up) */
  reset(): void;
}

export const VALUE = 0;
export const TIME = 1;
