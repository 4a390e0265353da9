import { type Stage, TIME, VALUE } from './stage.js';

/**
 * Filters that look at time. Time is the sample's monotonic time (io[TIME], ms), never a clock:
 * the same chain gives the same answer on a box, in a test with a fake clock and in a replay.
 * A sample that arrives late (older than one already seen) never moves a filter's time back.
 * Like every filter they drop non-finite values.
 */

/** Pass at most one value per `ms`: the first value, then the first one at least `ms` after the last passed. */
export class Throttle implements Stage {
  private last = Number.NEGATIVE_INFINITY;

  constructor(private readonly ms: number) {}

  step(io: Float64Array): boolean {
    if (!Number.isFinite(io[VALUE] as number)) return false;
    const t = io[TIME] as number;
    if (!(t - this.last >= this.ms)) return false;
    this.last = t;
    return true;
  }

  reset(): void {
    this.last = Number.NEGATIVE_INFINITY;
  }
}

/**
 * The mean of each period of `ms`, on a grid that starts at the first value: values with time in
 * [start, start + ms) make one mean, which is passed on with the first value at or after
 * start + ms (that value opens the next period). Late values join the open period.
 * Example (ms 10 000): values 1, 2, 3 at 0, 4, 8 s and 10 at 12 s → 2 is passed at 12 s.
 */
export class ThrottleAverage implements Stage {
  private start = Number.NaN;
  private sum = 0;
  private n = 0;

  constructor(private readonly ms: number) {}

  step(io: Float64Array): boolean {
    const v = io[VALUE] as number;
    if (!Number.isFinite(v)) return false;
    const t = io[TIME] as number;
    if (Number.isNaN(this.start) && Number.isFinite(t)) this.start = t;
    let out = false;
    if (t >= this.start + this.ms) {
      if (this.n > 0) {
        io[VALUE] = this.sum / this.n;
        out = true;
      }
      this.start += Math.floor((t - this.start) / this.ms) * this.ms;
      this.sum = 0;
      this.n = 0;
    }
    this.sum += v;
    this.n++;
    return out;
  }

  reset(): void {
    this.start = Number.NaN;
    this.sum = 0;
    this.n = 0;
  }
}

/**
 * Pass a value only once it has held unchanged for at least `ms` (a door contact bouncing, a
 * relay chattering). While it holds, every sample passes it; a change restarts the wait.
 * Example (ms 1000, a sample every 250 ms): 0 0 1 0 0 0 0 0 at 0, 250 … 1750 ms. The 1 at 500 ms
 * restarts the wait, the 0 at 750 ms restarts it again, so 0 passes first at 1750 ms; the lone 1
 * never passes.
 */
export class Debounce implements Stage {
  private candidate = Number.NaN;
  private since = Number.NaN;

  constructor(private readonly ms: number) {}

  step(io: Float64Array): boolean {
    const v = io[VALUE] as number;
    if (!Number.isFinite(v)) return false;
    const t = io[TIME] as number;
    if (v !== this.candidate) {
      this.candidate = v;
      this.since = t;
    }
    return t - this.since >= this.ms;
  }

  reset(): void {
    this.candidate = Number.NaN;
    this.since = Number.NaN;
  }
}

/**
 * Warm-up: drop the first `samples` values, or every value less than `ms` after the first one
 * (a PMS5003's fan needs ~30 s before its counts are stable, datasheet §"Characteristics").
 */
export class SkipInitial implements Stage {
  private seen = 0;
  private first = Number.NaN;

  constructor(
    private readonly samples: number,
    private readonly ms: number,
  ) {}

  step(io: Float64Array): boolean {
    if (!Number.isFinite(io[VALUE] as number)) return false;
    if (this.samples > 0) {
      if (this.seen < this.samples) {
        this.seen++;
        return false;
      }
      return true;
    }
    const t = io[TIME] as number;
    if (Number.isNaN(this.first) && Number.isFinite(t)) this.first = t;
    return t - this.first >= this.ms;
  }

  reset(): void {
    this.seen = 0;
    this.first = Number.NaN;
  }
}

/** Drop a sentinel (e.g. 65535 "no data" of a 16-bit register), compared exactly, after calibration. */
export class FilterOut implements Stage {
  private readonly values: Float64Array;

  constructor(values: readonly number[]) {
    this.values = Float64Array.from(values);
  }

  step(io: Float64Array): boolean {
    const v = io[VALUE] as number;
    if (!Number.isFinite(v)) return false;
    const s = this.values;
    for (let i = 0; i < s.length; i++) if (s[i] === v) return false;
    return true;
  }

  reset(): void {}
}
