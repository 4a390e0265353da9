import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TimeSource } from '../../drivers/bus/clock.js';
import { Outbox } from '../../firmware/uplink/outbox.js';
import { type Batch, MemoryQueue, type QueueBounds, type SampleQueue } from '../../firmware/uplink/queue.js';
import type { Sample } from '../../firmware/reading.js';
import { tempDir } from '../helpers/scratch.js';

/**
 * One contract, every SampleQueue: the memory queue (boxes without storage, and the outbox's
 * fallback ring) and the durable SQLite outbox. Each implementation is built by a factory that
 * can also "reopen" it: a new instance over the same storage, as after a restart.
 */
interface Impl {
  readonly name: string;
  readonly durable: boolean;
  open(bounds: Partial<QueueBounds>, boot?: number): SampleQueue;
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

let wall = Date.UTC(2026, 5, 1);
const wallNow = (): number => wall;
const BOUNDS: QueueBounds = { maxRows: 1000, maxBytes: 10_000_000, maxAgeMs: 0, policy: 'drop-oldest' };

const memory = (): Impl => ({
  name: 'MemoryQueue',
  durable: false,
  open: (b, boot = 1) => new MemoryQueue({ ...BOUNDS, ...b, boot, wallNow }),
});

const outbox = (): Impl => {
  const dir = tempDir('outbox');
  dirs.push(dir);
  return {
    name: 'Outbox (SQLite)',
    durable: true,
    open: (b, boot = 1) => new Outbox({ ...BOUNDS, ...b, path: join(dir, 'outbox.db'), boot, ringRows: 1000, retryMs: 100, wallNow }),
  };
};

let mono = 0;
function sample(device: string, value: number, timeSource: TimeSource = 'system'): Sample {
  mono += 100;
  return { device, kind: 'sample', monoMs: mono, wallMs: wall + mono, timeSource, values: [{ channel: 'x', value, unit: 'V' }] };
}

function fill(q: SampleQueue, device: string, n: number, from = 0): void {
  q.append(Array.from({ length: n }, (_, i) => sample(device, from + i)));
  q.commit();
}

function drain(q: SampleQueue, lane: 'live' | 'backlog' = 'live', max = 7): Batch[] {
  const out: Batch[] = [];
  for (let b = q.take(max, lane); b; b = q.take(max, lane)) {
    out.push(b);
    q.ack(b.id);
  }
  return out;
}

const values = (bs: readonly Batch[]): number[] => bs.flatMap((b) => b.samples.map((s) => s.v.x as number));
const seqsOf = (bs: readonly Batch[], dev: string): number[] => bs.flatMap((b) => b.samples.filter((s) => s.dev === dev).map((s) => s.seq));

describe.each([memory, outbox])('SampleQueue contract: %o', (make) => {
  it('assigns consecutive per-device sequences at commit and hands samples out in order', () => {
    const q = make().open({});
    q.append([sample('a', 1), sample('b', 2), sample('a', 3)]);
    expect(q.take(10, 'live')).toBeUndefined(); // nothing takeable before commit
    q.commit();
    fill(q, 'a', 3, 4);
    expect(q.pending()).toBe(6);
    const got = drain(q);
    expect(values(got)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(seqsOf(got, 'a')).toEqual([0, 1, 2, 3, 4]);
    expect(seqsOf(got, 'b')).toEqual([0]);
    expect(got.every((b) => b.boot === 1 && b.lane === 'live')).toBe(true);
    expect(q.pending()).toBe(0);
    expect(q.sequences()).toEqual({ a: 5, b: 1 });
    q.close();
  });

  it('never hands out a sample in flight; release puts a batch back in front, oldest first', () => {
    const q = make().open({});
    fill(q, 'a', 10);
    const b1 = q.take(3, 'live');
    const b2 = q.take(3, 'live');
    expect(values([b1 as Batch])).toEqual([0, 1, 2]);
    expect(values([b2 as Batch])).toEqual([3, 4, 5]);
    q.release(b1?.id ?? -1);
    const b3 = q.take(4, 'live');
    expect(values([b3 as Batch])).toEqual([0, 1, 2, 6]); // 3..5 are still in flight
    q.ack(b2?.id ?? -1);
    q.ack(b3?.id ?? -1);
    expect(values(drain(q))).toEqual([7, 8, 9]);
    q.close();
  });

  it('releaseAll (lost connection) resumes from the oldest unacknowledged sample, in order', () => {
    const q = make().open({});
    fill(q, 'a', 10);
    const a = q.take(4, 'live') as Batch;
    q.take(4, 'live');
    q.ack(a.id);
    q.releaseAll();
    expect(values(drain(q, 'live', 100))).toEqual([4, 5, 6, 7, 8, 9]);
    q.close();
  });

  it('splitBacklog: stored samples become the backlog lane, later commits are live', () => {
    const q = make().open({});
    fill(q, 'a', 5);
    q.splitBacklog();
    fill(q, 'a', 3, 100);
    const live = drain(q, 'live');
    expect(values(live)).toEqual([100, 101, 102]);
    const backlog = drain(q, 'backlog', 2);
    expect(values(backlog)).toEqual([0, 1, 2, 3, 4]);
    expect(backlog.every((b) => b.lane === 'backlog')).toBe(true);
    q.close();
  });

  it('drop-oldest: past maxRows the oldest are dropped, counted exactly, and leave a gap of exactly that size', () => {
    const q = make().open({ maxRows: 50 });
    for (let i = 0; i < 8; i++) fill(q, 'a', 20, i * 20);
    expect(q.pending()).toBe(50);
    expect(q.drops()).toEqual({ oldest: 110, rejected: 0, expired: 0 });
    const got = drain(q, 'live', 50);
    expect(seqsOf(got, 'a')).toEqual(Array.from({ length: 50 }, (_, i) => 110 + i));
    q.close();
  });

  it('reject-new: past maxRows new samples are refused and counted; their sequences are consumed', () => {
    const q = make().open({ maxRows: 50, policy: 'reject-new' });
    for (let i = 0; i < 8; i++) fill(q, 'a', 20, i * 20);
    expect(q.pending()).toBe(50);
    expect(q.drops()).toEqual({ oldest: 0, rejected: 110, expired: 0 });
    expect(seqsOf(drain(q, 'live', 50), 'a')).toEqual(Array.from({ length: 50 }, (_, i) => i));
    fill(q, 'a', 1, 999);
    expect(seqsOf(drain(q), 'a')).toEqual([160]); // the platform sees the gap 50..159: 110 refused
    q.close();
  });

  it('maxBytes bounds the stored bytes', () => {
    const q = make().open({ maxBytes: 2000 });
    fill(q, 'a', 100);
    const one = Buffer.byteLength(JSON.stringify(q.take(1, 'live')?.samples[0]));
    q.releaseAll();
    expect(q.pending()).toBe(Math.floor(2000 / one));
    expect(q.drops().oldest).toBe(100 - q.pending());
    q.close();
  });

  it('maxAge drops samples stored longer ago than the limit, counted as expired', () => {
    const q = make().open({ maxAgeMs: 60_000 });
    fill(q, 'a', 10);
    wall += 30_000;
    fill(q, 'a', 5, 10);
    wall += 40_000; // the first 10 are 70 s old now
    fill(q, 'a', 1, 15);
    expect(q.drops()).toEqual({ oldest: 0, rejected: 0, expired: 10 });
    expect(values(drain(q, 'live', 100))).toEqual([10, 11, 12, 13, 14, 15]);
    q.close();
  });

  it('never drops a sample in flight (its PUBACK may still come)', () => {
    const q = make().open({ maxRows: 10 });
    fill(q, 'a', 10);
    const inFlight = q.take(5, 'live') as Batch;
    fill(q, 'a', 5, 10);
    expect(q.drops().oldest).toBe(5);
    q.ack(inFlight.id);
    expect(values(drain(q, 'live', 100))).toEqual([10, 11, 12, 13, 14]);
    expect(values([inFlight])).toEqual([0, 1, 2, 3, 4]);
    q.close();
  });

  it('re-stamps samples read with an untrusted clock from their monotonic time once trusted', () => {
    const q = make().open({});
    const early = sample('a', 1, 'none');
    const trusted = sample('a', 2, 'system');
    q.append([early, trusted]);
    q.commit();
    const late = sample('a', 3, 'none'); // read before trust, arriving after it
    q.restamp(1_700_000_000_000, 'gps');
    q.append([late]);
    q.commit();
    const s = drain(q, 'live', 10).flatMap((b) => b.samples);
    expect(s[0]).toMatchObject({ t: 1_700_000_000_000 + early.monoMs, tq: 'gps', re: true });
    expect(s[1]).toMatchObject({ t: Math.round(trusted.wallMs), tq: 'system' });
    expect(s[1]?.re).toBeUndefined();
    expect(s[2]).toMatchObject({ t: 1_700_000_000_000 + late.monoMs, tq: 'gps', re: true });
    q.close();
  });

  it('reopen: a durable queue keeps unacknowledged samples and sequences; a memory queue starts empty', () => {
    const impl = make();
    const q = impl.open({});
    fill(q, 'a', 6);
    const b = q.take(2, 'live') as Batch;
    q.ack(b.id);
    q.take(2, 'live'); // in flight when the box stops: must come again
    q.close();
    const r = impl.open({}, 2);
    fill(r, 'a', 2, 100);
    const got = drain(r, 'live', 100);
    if (impl.durable) {
      expect(values(got)).toEqual([2, 3, 4, 5, 100, 101]);
      expect(seqsOf(got, 'a')).toEqual([2, 3, 4, 5, 6, 7]);
      // a batch never mixes boots: the payload's boot is the boot that read its samples
      expect(got.map((x) => x.boot)).toEqual([1, 2]);
    } else {
      expect(values(got)).toEqual([100, 101]);
      expect(seqsOf(got, 'a')).toEqual([0, 1]);
    }
    r.close();
  });
});
