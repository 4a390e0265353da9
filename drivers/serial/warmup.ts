import type { DeviceCondition } from '../types.js';

/**
 * Parts that answer with well-formed all-zero frames while they warm up: the PMS5003 while its
 * fan spins up, the SDS011 while its laser and fan start, the MH-Z19B during its preheat. The
 * checksum verifies, so only the content says "no measurement yet" (PyPMS refuses the same frames
 * as "message empty: warming up sensor"). Such a frame is never a reading of zero: the driver
 * drops it, says `warmingUp` in describe(), and raises WARMUP_TOO_LONG once the zeros have lasted
 * longer than the part ever needs (a dead fan, a dirty laser, a failed heater).
 */
export class ZeroFrames {
  private since: number | undefined;
  /** all-zero frames dropped since start */
  dropped = 0;

  constructor(
    private readonly part: string,
    /** longest warm-up the part needs, ms (several times its datasheet figure) */
    readonly limitMs: number,
  ) {}

  /** A verified measurement frame arrived: true when it is an all-zero warming-up frame (drop it). */
  note(allZero: boolean, nowMs: number): boolean {
    if (!allZero) {
      this.since = undefined;
      return false;
    }
    this.since ??= nowMs;
    this.dropped++;
    return true;
  }

  get warming(): boolean {
    return this.since !== undefined;
  }

  /** The port was reopened or the part re-initialised: forget the zeros seen so far. */
  reset(): void {
    this.since = undefined;
  }

  conditions(id: string, nowMs: number): readonly DeviceCondition[] {
    if (this.since === undefined || nowMs - this.since <= this.limitMs) return [];
    const s = Math.round((nowMs - this.since) / 1000);
    return [{ code: 'WARMUP_TOO_LONG', message: `${id}: the ${this.part} has sent only all-zero frames (warming up) for ${s} s; it should measure within ${Math.round(this.limitMs / 1000)} s` }];
  }
}

/** True when every byte in [start, end) is zero. */
export function allZero(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (bytes[i] !== 0) return false;
  return true;
}
