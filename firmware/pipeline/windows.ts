import { type Stage, VALUE } from './stage.js';

/**
 * Filters over the last N values (count-based windows). Values enter in arrival order: a sample
 * that arrives late (an older timestamp than the one before) still counts as the newest.
 * Non-finite values (NaN, ±Infinity: a read that failed, a driver's "no value") are dropped
 * without touching the window — the fault checks before the pipeline have already seen them.
 *
 * Each filter owns a preallocated ring of `window` doubles; nothing is allocated per sample.
 * With send_every = k the filter emits after every k-th accepted value, over the last up to
 * `window` values (so the first outputs of a send_every-1 filter cover a partial window).
 */
export class Ring {
  readonly buf: Float64Array;
  /** index of the oldest value */
  head = 0;
  size = 0;

  constructor(readonly capacity: number) {
    this.buf = new Float64Array(capacity);
  }

  /** Append; returns the value pushed out of a full ring (NaN if none). */
  push(v: number): number {
    const cap = this.capacity;
    if (this.size < cap) {
      this.buf[(this.head + this.size) % cap] = v;
      this.size++;
      return Number.NaN;
    }
    const old = this.buf[this.head] as number;
    this.buf[this.head] = v;
    this.head = (this.head + 1) % cap;
    return old;
  }

  clear(): void {
    this.head = 0;
    this.size = 0;
  }
}

abstract class WindowFilter implements Stage {
  protected readonly ring: Ring;
  private pending = 0;

  constructor(
    window: number,
    private readonly sendEvery: number,
  ) {
    this.ring = new Ring(window);
  }

  step(io: Float64Array): boolean {
    const v = io[VALUE] as number;
    if (!Number.isFinite(v)) return false;
    this.add(v);
    if (++this.pending < this.sendEvery) return false;
    this.pending = 0;
    io[VALUE] = this.value();
    return true;
  }

  reset(): void {
    this.ring.clear();
    this.pending = 0;
    this.cleared();
  }

  protected add(v: number): void {
    this.ring.push(v);
  }

  protected cleared(): void {}

  protected abstract value(): number;
}

/** Mean of the last `window` values. A running sum, recomputed exactly once per window so rounding errors never pile up. */
export class SlidingAverage extends WindowFilter {
  private sum = 0;
  private sinceExact = 0;

  protected override add(v: number): void {
    const old = this.ring.push(v);
    if (++this.sinceExact >= this.ring.capacity) {
      this.sinceExact = 0;
      let s = 0;
      const { buf, size } = this.ring;
      for (let i = 0; i < size; i++) s += buf[i] as number;
      this.sum = s;
    } else {
      this.sum += Number.isNaN(old) ? v : v - old;
    }
  }

  protected override cleared(): void {
    this.sum = 0;
    this.sinceExact = 0;
  }

  protected value(): number {
    return this.sum / this.ring.size;
  }
}

export class WindowMin extends WindowFilter {
  protected value(): number {
    const { buf, size } = this.ring;
    let m = buf[0] as number;
    for (let i = 1; i < size; i++) if ((buf[i] as number) < m) m = buf[i] as number;
    return m;
  }
}

export class WindowMax extends WindowFilter {
  protected value(): number {
    const { buf, size } = this.ring;
    let m = buf[0] as number;
    for (let i = 1; i < size; i++) if ((buf[i] as number) > m) m = buf[i] as number;
    return m;
  }
}

/**
 * Median of the last `window` values; for an even count, the mean of the two middle values
 * ([1, 5, 2, 8] → (2 + 5) / 2 = 3.5). Quickselect on a preallocated scratch copy: O(window).
 */
export class WindowMedian extends WindowFilter {
  private readonly scratch: Float64Array;

  constructor(window: number, sendEvery: number) {
    super(window, sendEvery);
    this.scratch = new Float64Array(window);
  }

  protected value(): number {
    const n = this.ring.size;
    const s = this.scratch;
    for (let i = 0; i < n; i++) s[i] = this.ring.buf[i] as number;
    const k = n >> 1;
    const upper = select(s, n, k);
    if (n % 2 === 1) return upper;
    // after select, s[0..k) ≤ s[k]: the lower middle is the largest of them
    let lower = s[0] as number;
    for (let i = 1; i < k; i++) if ((s[i] as number) > lower) lower = s[i] as number;
    return (lower + upper) / 2;
  }
}

/** Hoare quickselect: rearranges s[0..n) so that s[k] is the k-th smallest, smaller ones before it. */
function select(s: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = s[(lo + hi) >> 1] as number;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((s[i] as number) < pivot) i++;
      while ((s[j] as number) > pivot) j--;
      if (i <= j) {
        const t = s[i] as number;
        s[i] = s[j] as number;
        s[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return s[k] as number;
}

/**
 * y ← alpha·x + (1 − alpha)·y, starting from the first value. alpha 0.1 at 1 Hz reaches 63 % of
 * a step after ~10 s. Emits every send_every accepted values.
 */
export class ExponentialAverage implements Stage {
  private y = Number.NaN;
  private pending = 0;

  constructor(
    private readonly alpha: number,
    private readonly sendEvery: number,
  ) {}

  step(io: Float64Array): boolean {
    const v = io[VALUE] as number;
    if (!Number.isFinite(v)) return false;
    this.y = Number.isNaN(this.y) ? v : this.alpha * v + (1 - this.alpha) * this.y;
    if (++this.pending < this.sendEvery) return false;
    this.pending = 0;
    io[VALUE] = this.y;
    return true;
  }

  reset(): void {
    this.y = Number.NaN;
    this.pending = 0;
  }
}
