/**
 * Capped exponential backoff with ±20 % jitter: min, 2·min, 4·min … max. Jitter spreads the
 * re-probes (and reconnects) of many devices or boxes so they do not arrive together.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    const base = Math.min(this.maxMs, this.minMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return base * (0.8 + 0.4 * this.random());
  }

  reset(): void {
    this.attempt = 0;
  }
}
