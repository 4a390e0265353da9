/**
 * Lateness histogram: fixed buckets of 0.05 ms up to 100 ms plus an overflow bucket and the
 * exact maximum. Recording allocates nothing, so it can sit on the sampling hot path.
 */
const BUCKET_MS = 0.05;
const BUCKETS = 2000;

export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export class LatencyHistogram {
  private readonly counts = new Uint32Array(BUCKETS + 1);
  private n = 0;
  private maxMs = 0;

  record(ms: number): void {
    const v = ms < 0 ? 0 : ms;
    const i = Math.min(BUCKETS, Math.floor(v / BUCKET_MS));
    this.counts[i] = (this.counts[i] as number) + 1;
    this.n++;
    if (v > this.maxMs) this.maxMs = v;
  }

  get count(): number {
    return this.n;
  }

  get max(): number {
    return this.maxMs;
  }

  /** Upper edge of the bucket holding the p-th quantile (0 < p ≤ 1), or max when in overflow. */
  percentile(p: number): number {
    if (this.n === 0) return 0;
    const rank = Math.ceil(p * this.n);
    let seen = 0;
    for (let i = 0; i <= BUCKETS; i++) {
      seen += this.counts[i] as number;
      if (seen >= rank) return i === BUCKETS ? this.maxMs : Math.min(this.maxMs, (i + 1) * BUCKET_MS);
    }
    return this.maxMs;
  }

  summary(): LatencySummary {
    return { count: this.n, p50: this.percentile(0.5), p99: this.percentile(0.99), max: this.maxMs };
  }

  /** Add another histogram's counts to this one (pool the lateness of several tasks). */
  add(other: LatencyHistogram): void {
    for (let i = 0; i <= BUCKETS; i++) this.counts[i] = (this.counts[i] as number) + (other.counts[i] as number);
    this.n += other.n;
    if (other.maxMs > this.maxMs) this.maxMs = other.maxMs;
  }

  reset(): void {
    this.counts.fill(0);
    this.n = 0;
    this.maxMs = 0;
  }
}
