import type { Clock, TimeSource } from '../../drivers/bus/clock.js';
import type { FakeTimers } from '../../firmware/loop/timers.js';

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
