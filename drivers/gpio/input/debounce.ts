import type { Level } from '../../bus/gpio.js';

/** A level change the debouncer accepted: the new level and when the line first reached it (monotonic ms). */
export interface Change {
  readonly level: Level;
  readonly atMs: number;
}

/**
 * Stability debounce without a timer. A mechanical contact chatters for 1–10 ms when it moves;
 * a new level counts only once the line has held it for `debounceMs`. Nothing here sleeps:
 * stability is judged when the next edge arrives or when the scheduler calls `settle(now)` on
 * the device's next read, whichever comes first. The accepted change carries the time of the
 * edge that started it, so durations (a button held 812 ms, a PIR active 40 s) are exact even
 * though the decision is made later.
 *
 * Worked example, debounce 20 ms, line at 0:
 *   t=100 edge→1, t=102 edge→0, t=104 edge→1   pending 1 since t=104 (the 100 and 102 edges were chatter)
 *   t=130 read: 1 held 26 ms ≥ 20               → change {level 1, atMs 104}
 * With debounceMs 0 every edge is a change at once.
 */
export class Debouncer {
  private committed: Level;
  private pending: Change | undefined;

  constructor(
    initial: Level,
    private readonly debounceMs: number,
  ) {
    this.committed = initial;
  }

  get level(): Level {
    return this.committed;
  }

  /** An edge: the line is at `level` from `nowMs` on. Returns the change this edge confirmed, if any. */
  edge(level: Level, nowMs: number): Change[] {
    const out = this.settle(nowMs);
    if (level === this.committed) {
      this.pending = undefined; // back where it was: the excursion was chatter
    } else if (this.pending?.level !== level) {
      this.pending = { level, atMs: nowMs };
    }
    if (this.debounceMs === 0) out.push(...this.settle(nowMs));
    return out;
  }

  /** Confirm a pending level that has now been stable for debounceMs. */
  settle(nowMs: number): Change[] {
    const p = this.pending;
    if (!p || nowMs - p.atMs < this.debounceMs) return [];
    this.pending = undefined;
    this.committed = p.level;
    return [p];
  }

  /** A level read directly (missed edges, or the first read): treated like an edge at nowMs. */
  observe(level: Level, nowMs: number): Change[] {
    if (level === this.committed && this.pending === undefined) return [];
    if (this.pending?.level === level) return this.settle(nowMs);
    return this.edge(level, nowMs);
  }
}
