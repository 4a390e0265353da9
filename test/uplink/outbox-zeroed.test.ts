import { existsSync, truncateSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sample } from '../../firmware/reading.js';
import { Outbox, type OutboxEvent } from '../../firmware/uplink/outbox.js';
import { RESERVE_BLOCK, SeqAllocator, type SeqSkip, freshBase } from '../../firmware/uplink/outbox-seqs.js';
import { outside } from '../helpers/outbox.js';
import { SmallDisk } from '../helpers/tmpfs.js';

/**
 * A zeroed outbox.db followed by a kill -9 while the disk is full (CI seed 656928 of the
 * disk-trouble run): the fresh range's numbers went out from the memory ring only, the file knew
 * no device, and the restart skipped the range as '*' alone — a skip that names no device, so the
 * platform saw a gap of about two blocks per device that nothing explained. Every device that took
 * numbers must get a skip of its own for them.
 */
const DEVS = ['a', 'b'];
let wall = Date.UTC(2026, 10, 28, 12);
let mono = 0;
const samples = (n: number): Sample[] =>
  Array.from({ length: n }, (_, i) => {
    mono += 10;
    return { device: DEVS[i % DEVS.length] as string, kind: 'sample', monoMs: mono, wallMs: wall + mono, timeSource: 'system', values: [{ channel: 'x', value: i, unit: 'V' }] };
  });

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

/** kill -9: the process is gone; its file stays as the last commit left it */
const kill = (q: Outbox): void => (q as unknown as { closeDb(): void }).closeDb();

function start(path: string, boot: number): { q: Outbox; skips: SeqSkip[] } {
  const skips: SeqSkip[] = [];
  const q = new Outbox({
    path, boot, ringRows: 10_000, retryMs: 1000, maxRows: 1_000_000, maxBytes: 1e9, maxAgeMs: 0, policy: 'drop-oldest',
    wallNow: () => wall, onEvent: (e: OutboxEvent) => (e.type === 'skip' ? skips.push(e.skip) : undefined), firstStart: boot === 1,
  });
  // closed before its disk is unmounted, also when an assertion failed (an open file keeps the mount busy)
  cleanups.push(() => kill(q));
  return { q, skips };
}

/** What a platform received per device, and the numbers missing between them outside the device's own skips. */
class Platform {
  readonly seqs = new Map<string, number[]>();
  drain(q: Outbox): void {
    for (let b = q.take(50, 'live'); b; b = q.take(50, 'live')) {
      for (const s of b.samples) (this.seqs.get(s.dev) ?? this.seqs.set(s.dev, []).get(s.dev))?.push(s.seq);
      q.ack(b.id);
    }
  }
  gaps(dev: string, skips: readonly SeqSkip[], from: number): number {
    const s = [...new Set(this.seqs.get(dev) ?? [])].filter((n) => n >= from).sort((x, y) => x - y);
    const ex = skips.filter((k) => k.dev === dev).map((k) => [k.from ?? Number.NEGATIVE_INFINITY, k.to] as const);
    let g = 0;
    for (let i = 1; i < s.length; i++) g += outside((s[i - 1] as number) + 1, s[i] as number, ex);
    return g;
  }
}

function zeroedThenFull(spare: boolean): { disk: SmallDisk; path: string; fresh: number; p: Platform; skips: SeqSkip[] } {
  const disk = SmallDisk.mount(1024);
  cleanups.push(() => disk.unmount());
  const path = join(disk.dir, 'outbox.db');
  const p = new Platform();
  const r1 = start(path, 1);
  r1.q.append(samples(40));
  r1.q.commit();
  p.drain(r1.q);
  r1.q.close();
  truncateSync(path, 0); // the card lost the file's content
  for (const s of ['-wal', '-shm']) if (existsSync(path + s)) unlinkSync(path + s);
  if (!spare && existsSync(`${path}.spare`)) unlinkSync(`${path}.spare`);

  wall += 60_000;
  const r2 = start(path, 2);
  const fresh = freshBase(wall);
  expect(r2.skips).toEqual([expect.objectContaining({ dev: '*', from: null, to: fresh, reason: 'new-file' })]);
  disk.fill(); // to the last byte: the readings stay in the memory ring
  r2.q.append(samples(50));
  r2.q.commit();
  expect(r2.q.counters()).toMatchObject({ mode: 'memory', trouble: 'full' });
  p.drain(r2.q); // the link is up: the ring publishes the fresh range's first numbers
  for (const dev of DEVS) expect(p.seqs.get(dev)?.slice(-2)).toEqual([fresh + 23, fresh + 24]);
  kill(r2.q);
  unlinkSync(join(disk.dir, 'filler'));
  return { disk, path, fresh, p, skips: r2.skips };
}

describe('a zeroed outbox.db, then kill -9 with the disk full', () => {
  it('the fresh range is reserved per device (the spare file gives the room), so the restart skips it per device', () => {
    const { path, fresh, p, skips } = zeroedThenFull(true);
    wall += 5_000;
    const r3 = start(path, 3);
    for (const dev of DEVS) {
      expect(r3.skips).toContainEqual(expect.objectContaining({ dev, from: fresh, reason: 'unclean-stop' }));
      expect(r3.skips.find((k) => k.dev === dev)?.to).toBeGreaterThan(fresh + 25);
    }
    r3.q.append(samples(20));
    r3.q.commit();
    p.drain(r3.q);
    r3.q.close();
    // from the fresh range on, every number is received or lies in a skip of its own device
    for (const dev of DEVS) {
      expect(p.seqs.get(dev)?.filter((n) => n >= fresh)).toHaveLength(25 + 10);
      expect(p.gaps(dev, [...skips, ...r3.skips], fresh)).toBe(0);
    }
  });

  it('without even room for a reservation, a device gets its own skip of the shared range when it takes its first number', () => {
    const { path, fresh, p, skips } = zeroedThenFull(false);
    wall += 5_000;
    const r3 = start(path, 3);
    // the file knew no device: the restart can only skip the shared range…
    expect(r3.skips).toEqual([expect.objectContaining({ dev: '*', from: fresh, to: fresh + RESERVE_BLOCK, reason: 'unclean-stop' })]);
    r3.q.append(samples(20));
    r3.q.commit();
    // …until each device shows up: then the skip names it, is reported and saved in the file
    for (const dev of DEVS) expect(r3.skips).toContainEqual(expect.objectContaining({ dev, from: fresh, to: fresh + RESERVE_BLOCK, reason: 'unclean-stop' }));
    expect(r3.q.counters().skips.filter((k) => k.dev !== '*' && k.saved === false)).toEqual([]);
    p.drain(r3.q);
    r3.q.close();
    for (const dev of DEVS) expect(p.gaps(dev, [...skips, ...r3.skips], fresh)).toBe(0);
  });
});

describe('SeqAllocator after an unclean stop', () => {
  const who = { boot: 2, bootId: 'b' };
  it('gives a device without a row its own skip of the unused shared range, once, and none after a clean stop', () => {
    const a = new SeqAllocator(who);
    a.adopt({ devs: [{ dev: 'x', next: 7, reserved: 100 }], base: 1000, baseReserved: 2000, clean: false }, 5);
    expect(a.skips.map((k) => [k.dev, k.from, k.to])).toEqual([['x', 7, 100], ['*', 1000, 2000]]);
    expect(a.take('x')).toBe(100); // a device with a row: its own skip only
    expect(a.take('y')).toBe(2000);
    expect(a.take('y')).toBe(2001);
    expect(a.skips.map((k) => [k.dev, k.from, k.to])).toEqual([['x', 7, 100], ['*', 1000, 2000], ['y', 1000, 2000]]);

    const c = new SeqAllocator(who);
    c.adopt({ devs: [], base: 1000, baseReserved: 1000, clean: true }, 5);
    expect(c.take('y')).toBe(1000);
    expect(c.skips).toEqual([]);
  });

  it('reserves for a device new to the file before its first number', () => {
    const a = new SeqAllocator(who);
    a.adopt({ devs: [{ dev: 'x', next: 7, reserved: 7 }], base: 1000, baseReserved: 1000, clean: true }, 5);
    a.reservedNow(a.wanted(new Map()));
    expect(a.wanted(new Map([['x', 3]])).devs.size).toBe(0);
    expect([...a.wanted(new Map([['x', 3], ['y', 2]])).devs]).toEqual([['y', 1000 + 2 + RESERVE_BLOCK]]);
  });
});
