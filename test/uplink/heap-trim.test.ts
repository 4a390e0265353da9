import { getHeapStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { Scheduler } from '../../firmware/loop/scheduler.js';
import { FakeTimers } from '../../firmware/loop/timers.js';
import { trimHeapPeriodically } from '../../firmware/uplink/heap-trim.js';

describe('uplink thread heap trim (a full collection every 15 s)', () => {
  it('runs on the scheduler: once per period, first at half a period', async () => {
    const timers = new FakeTimers();
    const s = new Scheduler(timers);
    expect(trimHeapPeriodically(s, 1000)).toBe(true);
    await timers.advance(499);
    expect(s.allStats().find((t) => t.name === 'uplink-heap-trim')?.runs).toBe(0);
    await timers.advance(1);
    expect(s.allStats().find((t) => t.name === 'uplink-heap-trim')?.runs).toBe(1);
    await timers.advance(3000);
    expect(s.allStats().find((t) => t.name === 'uplink-heap-trim')?.runs).toBe(4);
    s.stop();
  });

  it('frees what is garbage: a heap full of dropped objects shrinks at the next trim', async () => {
    const timers = new FakeTimers();
    const s = new Scheduler(timers);
    trimHeapPeriodically(s, 1000);
    await timers.advance(500); // a first collection: the baseline
    const before = getHeapStatistics().used_heap_size;
    let junk: unknown[] | undefined = Array.from({ length: 200_000 }, (_, i) => ({ i, s: `reading ${i}` }));
    expect(junk.length).toBe(200_000);
    const full = getHeapStatistics().used_heap_size;
    expect(full - before).toBeGreaterThan(4 * 1024 * 1024);
    junk = undefined;
    await timers.advance(1000);
    expect(getHeapStatistics().used_heap_size - before).toBeLessThan((full - before) / 4);
    s.stop();
  });
});
