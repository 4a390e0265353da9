import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../../firmware/loop/histogram.js';
import { Scheduler } from '../../../firmware/loop/scheduler.js';
import { FakeTimers, type TimerSource } from '../../../firmware/loop/timers.js';

/** A timer source whose timers fire late by a pseudo-random 0–3 ms, like a busy Node loop. */
class JitteryTimers implements TimerSource {
  t = 0;
  private s = 7;
  private next: { at: number; fn: () => void } | undefined;
  now(): number {
    return this.t;
  }
  set(fn: () => void, delayMs: number): unknown {
    this.s = (Math.imul(this.s, 1103515245) + 12345) >>> 0;
    this.next = { at: this.t + Math.max(0, delayMs) + (this.s % 3001) / 1000, fn };
    return this.next;
  }
  clear(h: unknown): void {
    if (this.next === h) this.next = undefined;
  }
  /** fire the single armed timer (the scheduler keeps only one) */
  step(): boolean {
    const n = this.next;
    if (!n) return false;
    this.next = undefined;
    this.t = Math.max(this.t, n.at);
    n.fn();
    return true;
  }
}

describe('Scheduler', () => {
  it('runs on absolute deadlines: no cumulative drift over 10^6 ticks of a jittery timer', () => {
    const timers = new JitteryTimers();
    const s = new Scheduler(timers);
    const deadlines: number[] = [];
    let last = 0;
    let count = 0;
    s.every('dev', 10, (deadline) => {
      count++;
      last = deadline;
      if (count <= 3) deadlines.push(deadline);
    });
    while (count < 1_000_000) timers.step();
    // the millionth run was for exactly start + 999999 intervals, although every timer fired late
    expect(last).toBe(999_999 * 10);
    expect(deadlines).toEqual([0, 10, 20]);
    expect(timers.now() - last).toBeLessThan(3.01);
    const stats = s.allStats()[0];
    expect(stats?.missed).toBe(0);
    expect(stats?.lateness.max).toBeLessThanOrEqual(3.01);
    expect(stats?.lateness.p50).toBeGreaterThan(0.5);
  });

  it('spreads devices by phase offset', async () => {
    const timers = new FakeTimers();
    const s = new Scheduler(timers);
    const log: string[] = [];
    for (const [name, phase] of [['a', 0], ['b', 250], ['c', 500], ['d', 750]] as const) {
      s.every(name, 1000, () => {
        log.push(`${name}@${timers.now()}`);
      }, { phaseMs: phase });
    }
    await timers.advance(2000);
    expect(log).toEqual(['a@0', 'b@250', 'c@500', 'd@750', 'a@1000', 'b@1250', 'c@1500', 'd@1750', 'a@2000']);
  });

  it('a hung task never delays other tasks; its own ticks are counted as overruns', async () => {
    const timers = new FakeTimers();
    const s = new Scheduler(timers);
    const fast: number[] = [];
    s.every('hung', 100, () => new Promise<void>(() => {})); // never settles
    s.every('fast', 100, () => {
      fast.push(timers.now());
    }, { phaseMs: 50 });
    await timers.advance(1000);
    expect(fast).toEqual([50, 150, 250, 350, 450, 550, 650, 750, 850, 950]);
    const hung = s.allStats().find((t) => t.name === 'hung');
    expect(hung).toMatchObject({ runs: 1, overruns: 10 });
  });

  it('a run longer than the interval skips and counts the ticks it overlaps, never queues them', async () => {
    const timers = new FakeTimers();
    const s = new Scheduler(timers);
    const starts: number[] = [];
    s.every('slow', 10, () => {
      starts.push(timers.now());
      return s.wait(25);
    });
    await timers.advance(100);
    expect(starts).toEqual([0, 30, 60, 90]);
    // ticks at 0, 10 … 100: eleven; four ran, the other seven found the previous run still going
    expect(s.allStats()[0]).toMatchObject({ runs: 4, overruns: 7, missed: 0 });
  });

  it('a stalled loop skips the whole intervals it slept through and counts them as missed', async () => {
    const timers = new FakeTimers();
    const s = new Scheduler(timers);
    const deadlines: number[] = [];
    s.every('dev', 10, (d) => {
      deadlines.push(d);
    });
    await timers.advance(20); // runs at 0, 10, 20
    timers.block(55); // the event loop was blocked: the next timer fires at 75 instead of 30
    await timers.advance(0);
    await timers.advance(20);
    expect(deadlines).toEqual([0, 10, 20, 30, 80, 90]);
    const st = s.allStats()[0];
    expect(st?.missed).toBe(4); // 40, 50, 60, 70 never ran and were not queued
    expect(st?.lateness.max).toBeCloseTo(45, 5);
  });

  it('aligned tasks with the same interval share each deadline, whenever each was started: one wake-up per tick for all', async () => {
    const timers = new FakeTimers();
    const s = new Scheduler(timers);
    const runs: [string, number][] = [];
    await timers.advance(37.4); // started at odd times, as devices are after their probes
    for (let i = 0; i < 20; i++) {
      s.every(`d${i}`, 100, (deadline) => void runs.push([`d${i}`, deadline]), { align: true });
      await timers.advance(0.3);
    }
    const before = s.wakeups;
    await timers.advance(1000);
    expect(new Set(runs.map(([, d]) => d))).toEqual(new Set([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]));
    expect(runs).toHaveLength(200);
    expect(s.wakeups - before).toBe(10);
    // the same without alignment: every task its own deadline, one wake-up each
    const t2 = new FakeTimers();
    const s2 = new Scheduler(t2);
    await t2.advance(37.4);
    for (let i = 0; i < 20; i++) {
      s2.every(`d${i}`, 100, () => {});
      await t2.advance(0.3);
    }
    const b2 = s2.wakeups;
    await t2.advance(1000);
    expect(s2.wakeups - b2).toBeGreaterThanOrEqual(190);
  });

  it('an aligned task keeps its phase on the grid; waits ending within one millisecond end in one wake-up, never early', async () => {
    const timers = new FakeTimers();
    const s = new Scheduler(timers);
    await timers.advance(1234.5);
    const deadlines: number[] = [];
    s.every('spread', 100, (d) => void deadlines.push(d), { align: true, phaseMs: 25 });
    await timers.advance(300);
    expect(deadlines).toEqual([1325, 1425, 1525]);
    const ends: number[] = [];
    const w0 = s.wakeups;
    const t0 = timers.now(); // 1534.5
    for (const delay of [8, 8.2, 8.4]) s.after(delay, () => ends.push(timers.now()));
    s.after(8.7, () => ends.push(timers.now())); // ends at 1543.2: not before it, so at 1544
    await timers.advance(20);
    expect(t0).toBe(1534.5);
    expect(ends).toEqual([1543, 1543, 1543, 1544]);
    expect(s.wakeups - w0).toBe(2);
  });

  it('after() and cancel; errors in tasks are reported, not thrown', async () => {
    const timers = new FakeTimers();
    const s = new Scheduler(timers);
    const errors: string[] = [];
    s.onError = (name) => errors.push(name);
    const fired: string[] = [];
    s.after(10, () => fired.push('a'));
    const cancel = s.after(20, () => fired.push('b'));
    cancel();
    s.every('bad', 5, () => {
      throw new Error('boom');
    });
    await timers.advance(30);
    expect(fired).toEqual(['a']);
    expect(errors.length).toBe(7);
  });
});

describe('LatencyHistogram', () => {
  it('percentiles to the bucket resolution and an exact max', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 100; i++) h.record(i / 10); // 0.1 .. 10 ms
    const s = h.summary();
    expect(s.count).toBe(100);
    expect(s.p50).toBeCloseTo(5.05, 1);
    expect(s.p99).toBeCloseTo(9.95, 1);
    expect(s.max).toBe(10);
    h.record(500);
    expect(h.percentile(1)).toBe(500);
  });
});

describe('Scheduler entries', () => {
  it('timeout(): the timer is its own handle; a cancelled one never fires, the others fire in deadline order', async () => {
    const timers = new FakeTimers();
    const s = new Scheduler(timers);
    const fired: string[] = [];
    const a = s.timeout(30, () => fired.push('a'));
    s.timeout(10, () => fired.push('b'));
    s.timeout(10.2, () => fired.push('c')); // the next whole millisecond: 11
    a.cancel();
    a.cancel(); // twice is harmless
    await timers.advance(100);
    expect(fired).toEqual(['b', 'c']);
  });

  it('a periodic task reuses its heap entry: cancelled inside its own run it never runs again, its neighbours keep their deadlines', async () => {
    const timers = new FakeTimers();
    const s = new Scheduler(timers);
    const runs: string[] = [];
    const self: { task?: { cancel(): void } } = {};
    self.task = s.every('once', 10, () => {
      runs.push(`once@${s.now()}`);
      self.task?.cancel();
    });
    s.every('steady', 10, () => void runs.push(`steady@${s.now()}`), { phaseMs: 5 });
    await timers.advance(40);
    expect(runs).toEqual(['once@0', 'steady@5', 'steady@15', 'steady@25', 'steady@35']);
    expect(s.allStats().map((t) => t.name)).toEqual(['steady']);
  });
});
