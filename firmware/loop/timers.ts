import { performance } from 'node:perf_hooks';

/**
 * Where the scheduler gets time and its one timer. The real source is performance.now() and
 * setTimeout; tests use FakeTimers and move time by hand.
 */
export interface TimerSource {
  now(): number;
  set(fn: () => void, delayMs: number): unknown;
  clear(handle: unknown): void;
}

export const realTimers: TimerSource = {
  now: () => performance.now(),
  set: (fn, delayMs) => {
    const t = setTimeout(fn, Math.max(0, delayMs));
    return t;
  },
  clear: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** A timer source whose time only moves when a test says so. */
export class FakeTimers implements TimerSource {
  private t = 0;
  private seq = 0;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.t;
  }

  set(fn: () => void, delayMs: number): unknown {
    const id = ++this.seq;
    this.pending.set(id, { at: this.t + Math.max(0, delayMs), fn });
    return id;
  }

  clear(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** Move time forward by ms, firing due timers in order and letting promises settle between them. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      let nextId = -1;
      let nextAt = Number.POSITIVE_INFINITY;
      for (const [id, p] of this.pending) {
        if (p.at < nextAt || (p.at === nextAt && id < nextId)) {
          nextAt = p.at;
          nextId = id;
        }
      }
      if (nextId < 0 || nextAt > end) break;
      const p = this.pending.get(nextId);
      this.pending.delete(nextId);
      this.t = Math.max(this.t, nextAt);
      p?.fn();
      await flushPromises();
    }
    this.t = end;
    await flushPromises();
  }

  /** Make the next timer fire `lateMs` late (the loop was blocked). */
  block(lateMs: number): void {
    this.t += lateMs;
  }
}

/**
 * Let every promise chain that can progress without time passing settle: a macrotask turn runs
 * only once the microtask queue is empty, however long the chains are (a fixed number of
 * microtask turns let a long driver chain, such as a BME280's first read that loads its
 * calibration, miss a timer it registers and lose its timeout race).
 */
export async function flushPromises(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise<void>((resolve) => setImmediate(resolve));
}
