import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Sample } from '../../firmware/reading.js';
import { Outbox, type OutboxEvent } from '../../firmware/uplink/outbox.js';
import type { SeqSkip } from '../../firmware/uplink/outbox-seqs.js';
import type { Batch } from '../../firmware/uplink/queue.js';
import { readOutbox } from '../helpers/outbox.js';
import { tempDir } from '../helpers/scratch.js';
import { SmallDisk } from '../helpers/tmpfs.js';

/**
 * Encode once, publish from memory: stage() numbers and encodes readings into fresh rows that are
 * published at once; a commit stores only what the broker has not acknowledged by then. Every
 * guarantee of docs/mqtt.md must hold as when readings were stored before they were published:
 * numbers never reused, every gap a counted drop or inside a reported skip, nothing committed lost.
 */
const wall = Date.UTC(2026, 5, 1);
let mono = 0;
let value = 0;
const sample = (device: string, timeSource: Sample['timeSource'] = 'system'): Sample => {
  mono += 10;
  value++;
  return { device, kind: 'sample', monoMs: mono, wallMs: wall + mono, timeSource, values: [{ channel: 'x', value, unit: 'V' }] };
};
const samples = (n: number, dev = 'a'): Sample[] => Array.from({ length: n }, () => sample(dev));
const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

const tmpPath = (): string => join(tempDir('stage'), 'outbox.db');

function open(path: string, boot: number, o: { maxRows?: number; policy?: 'drop-oldest' | 'reject-new' } = {}): { q: Outbox; events: OutboxEvent[] } {
  const events: OutboxEvent[] = [];
  const q = new Outbox({
    path, boot, ringRows: 1000, retryMs: 1000, maxRows: o.maxRows ?? 1_000_000, maxBytes: 1e9, maxAgeMs: 0, policy: o.policy ?? 'drop-oldest',
    wallNow: () => wall, onEvent: (e) => events.push(e),
  });
  return { q, events };
}

/** kill -9: the process is gone; its file stays as the last commit left it */
const kill = (q: Outbox): void => (q as unknown as { closeDb(): void }).closeDb();
const seqsOf = (b: Batch | undefined): number[] => (b ? b.samples.map((s) => s.seq) : []);

describe('outbox: encode once, publish from memory, store what is unacknowledged at the commit', () => {
  it('staged readings go out before the commit; acknowledged ones never reach the file, the rest is stored', () => {
    const path = tmpPath();
    const { q } = open(path, 1);
    q.append(samples(300));
    expect(q.take(100, 'live')).toBeUndefined(); // appended is not takeable
    q.stage();
    expect(q.pending()).toBe(300);
    const delivered = q.take(100, 'live') as Batch;
    expect(seqsOf(delivered)).toEqual(range(0, 100));
    q.ack(delivered.id);
    const inFlight = q.take(100, 'live') as Batch;
    expect(seqsOf(inFlight)).toEqual(range(100, 100));

    q.commit();
    let file = readOutbox(path);
    expect(file.integrity).toBe('ok');
    expect(file.next.a).toBe(300);
    expect(file.stored.a).toEqual(range(100, 200)); // in flight and waiting: stored; acknowledged: never
    expect(q.counters().committed).toBe(300); // 200 stored, 100 acknowledged before the commit: all safe
    expect(q.pending()).toBe(200);

    q.ack(inFlight.id);
    q.commit();
    file = readOutbox(path);
    expect(file.stored.a).toEqual(range(200, 100));
    const rest = q.take(200, 'live') as Batch;
    expect(seqsOf(rest)).toEqual(range(200, 100));
    q.ack(rest.id);
    q.commit();
    expect(readOutbox(path).stored.a).toBeUndefined();
    expect(q.pending()).toBe(0);
    q.close();
  });

  it('a released batch of a stored fresh row is taken again, from memory, in order', () => {
    const path = tmpPath();
    const { q } = open(path, 1);
    q.append(samples(50));
    q.stage();
    const b = q.take(20, 'live') as Batch;
    q.commit(); // stores all 50 (20 of them in flight)
    q.release(b.id); // the connection dropped
    const again = q.take(50, 'live') as Batch;
    expect(seqsOf(again)).toEqual(range(0, 50));
    q.ack(again.id);
    q.commit();
    expect(readOutbox(path).stored.a).toBeUndefined();
    q.close();
  });

  it('kill -9 between staging and the commit: the numbers handed out from memory lie in the skip the next start reports', () => {
    const path = tmpPath();
    const got = new Set<number>();
    const r1 = open(path, 1);
    r1.q.append(samples(40));
    r1.q.commit(); // stored: 0..39
    r1.q.append(samples(60));
    r1.q.stage(); // 40..99 in memory only
    const a = r1.q.take(70, 'live') as Batch; // 0..39 from the file, 40..69 from memory
    for (const s of seqsOf(a)) got.add(s);
    r1.q.ack(a.id);
    r1.q.take(20, 'live'); // 70..89 in flight when the power goes; 90..99 waiting
    kill(r1.q);

    const r2 = open(path, 2);
    const skips = r2.events.flatMap((e) => (e.type === 'skip' ? [e.skip] : [])) as SeqSkip[];
    const skip = skips.find((k) => k.dev === 'a' && k.reason === 'unclean-stop') as SeqSkip;
    expect(skip).toBeDefined();
    // the file still holds 0..39 (their acknowledgement was not committed): sent again, same readings
    r2.q.splitBacklog();
    for (let b = r2.q.take(100, 'backlog'); b; b = r2.q.take(100, 'backlog')) {
      for (const s of seqsOf(b)) got.add(s);
      r2.q.ack(b.id);
    }
    r2.q.append(samples(5));
    r2.q.stage();
    const live = r2.q.take(10, 'live') as Batch;
    for (const s of seqsOf(live)) got.add(s);
    expect(Math.min(...seqsOf(live))).toBeGreaterThanOrEqual(skip.to); // never reused
    // every number the platform misses lies in the reported skip
    const sorted = [...got].sort((x, y) => x - y);
    const missing: number[] = [];
    for (let n = 0; n < (sorted.at(-1) as number); n++) if (!got.has(n)) missing.push(n);
    expect(missing.length).toBeGreaterThan(0); // 70..99 were lost with the memory
    for (const n of missing) {
      expect(n).toBeGreaterThanOrEqual(skip.from ?? Number.NEGATIVE_INFINITY);
      expect(n).toBeLessThan(skip.to);
    }
    r2.q.close();
  });

  it('reject-new refuses at hand-over, consumes the numbers, and counts the refusals in the file at the next commit', () => {
    const path = tmpPath();
    const { q } = open(path, 1, { maxRows: 10, policy: 'reject-new' });
    q.append(samples(25));
    q.stage();
    expect(q.pending()).toBe(10);
    expect(q.drops().rejected).toBe(15);
    expect(q.counters().memoryDropped).toBe(15); // not in the file yet
    q.commit();
    expect(q.counters()).toMatchObject({ dropped: { oldest: 0, rejected: 15, expired: 0 }, memoryDropped: 0 });
    const file = readOutbox(path);
    expect(file.dropped).toBe(15);
    expect(file.next.a).toBe(25);
    expect(file.stored.a).toEqual(range(0, 10));
    q.close();
  });

  it('a commit with nothing to store, delete or count writes nothing (no fsync)', () => {
    const path = tmpPath();
    const { q } = open(path, 1);
    q.append(samples(10));
    q.stage();
    const b = q.take(10, 'live') as Batch;
    q.ack(b.id);
    const before = q.counters().commits;
    q.commit();
    q.commit();
    expect(q.counters().commits).toBe(before);
    expect(q.counters().committed).toBe(10); // progress for the watchdog: safe at the broker
    q.close(); // a clean stop stores the counters: the next start continues without a gap
    const r2 = open(path, 2);
    r2.q.append(samples(1));
    r2.q.stage();
    expect(seqsOf(r2.q.take(1, 'live'))).toEqual([10]);
    expect(r2.events.filter((e) => e.type === 'skip')).toEqual([]);
    r2.q.close();
  });

  it('readings read before the clock was trusted are re-stamped in memory before they leave', () => {
    const path = tmpPath();
    const { q } = open(path, 1);
    const early = sample('a', 'none');
    q.append([early]);
    q.stage();
    q.restamp(5_000, 'system');
    const b = q.take(1, 'live') as Batch;
    expect(b.samples[0]).toMatchObject({ seq: 0, tq: 'system', re: true, t: early.monoMs + 5_000 });
    q.close();
  });

  it('the disk fills under staged readings: what waits moves to the memory ring, what is in flight stays until its PUBACK', () => {
    const disk = SmallDisk.mount(1024); // unmounted when the test ends
    const path = join(disk.dir, 'outbox.db');
    const { q, events } = open(path, 1);
    q.append(samples(10));
    q.commit();
    q.append(samples(30));
    q.stage();
    const stored = q.take(10, 'live') as Batch; // 0..9, from the file
    q.ack(stored.id);
    const inFlight = q.take(10, 'live') as Batch; // 10..19, from memory
    expect(seqsOf(inFlight)).toEqual(range(10, 10));
    disk.fill();
    q.commit();
    expect(events.some((e) => e.type === 'trouble' && e.trouble === 'full')).toBe(true);
    expect(q.counters().ringRows).toBe(20);
    q.ack(inFlight.id);
    expect(q.pending()).toBe(20);
    const seen: number[] = [];
    for (let b = q.take(100, 'live'); b; b = q.take(100, 'live')) {
      seen.push(...seqsOf(b));
      q.ack(b.id);
    }
    expect(seen).toEqual(range(20, 20));
    expect(q.pending()).toBe(0);
    q.close();
  });
});
