import type { Clock, TimeSource } from '../../drivers/bus/clock.js';
import type { FakeTimers, TimerSource } from '../../firmware/loop/timers.js';

/** Scheduler time and device time from one fake source, as on the box. */
export class FakeClock implements Clock {
  constructor(private readonly timers: FakeTimers) {}
  monoMs(): number {
    return this.timers.now();
  }
  wallMs(): number {
    return Date.UTC(2026, 0, 1) + this.timers.now();
  }
  timeSource(): TimeSource {
    return 'assumed';
  }
  markTrusted(): void {}
}

/**
 * A scheduler time source on the global Date and setTimeout, for tests that fake those with
 * vi.useFakeTimers() because a library under test (node-cron) reads them directly: the
 * scheduler and the library then move on one fake clock.
 */
export const globalFakeTimers: TimerSource = {
  now: () => Date.now(),
  set: (fn, delayMs) => setTimeout(fn, Math.max(0, delayMs)),
  clear: (h) => clearTimeout(h as NodeJS.Timeout),
};
