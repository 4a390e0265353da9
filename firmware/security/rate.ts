/**
 * A token bucket: `ratePerS` tokens a second, at most `burst` saved up. take() spends one token
 * or says no; time comes from the caller (the worker's scheduler clock), so tests drive it.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerS: number,
    private readonly burst: number,
    nowMs: number,
  ) {
    this.tokens = burst;
    this.last = nowMs;
  }

  take(nowMs: number): boolean {
    const elapsed = Math.max(0, nowMs - this.last);
    this.last = nowMs;
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.ratePerS) / 1000);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
