import { existsSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sample } from '../../firmware/reading.js';
import { Outbox, type OutboxEvent } from '../../firmware/uplink/outbox.js';
import { freshBase } from '../../firmware/uplink/outbox-seqs.js';
import type { Batch } from '../../firmware/uplink/queue.js';
import { SmallDisk } from '../helpers/tmpfs.js';
import { tempDir } from '../helpers/scratch.js';

/**
 * The outbox when its storage misbehaves: a corrupt file, a full disk, a read-only file system.
 * Sampling must go on (append never throws), every reading keeps its sequence, nothing is lost
 * that fits the memory ring, and the outbox goes back to disk by itself.
 */
let wall = Date.UTC(2026, 5, 1);
let mono = 0;
const sample = (device: string, value: number): Sample => {
  mono += 100;
  return { device, kind: 'sample', monoMs: mono, wallMs: wall + mono, timeSource: 'system', values: [{ channel: 'x', value, unit: 'V' }] };
};

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function open(path: string, boot: number, events: OutboxEvent[], ringRows = 100_000): Outbox {
  return new Outbox({
    path, boot, ringRows, retryMs: 1000, maxRows: 1_000_000, maxBytes: 1e9, maxAgeMs: 0, policy: 'drop-oldest',
    wallNow: () => wall, onEvent: (e) => events.push(e),
  });
}

function takeAll(q: Outbox): Batch[] {
  const out: Batch[] = [];
  for (let b = q.take(100, 'live'); b; b = q.take(100, 'live')) {
    out.push(b);
    q.ack(b.id);
  }
  return out;
}

const seqs = (bs: readonly Batch[]): number[] => bs.flatMap((b) => b.samples.map((s) => s.seq));
const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

describe('outbox storage trouble', () => {
  it('a corrupt file is renamed aside, a new one created, the fault raised, and sequences restart above all earlier ones', () => {
    const dir = tempDir('corrupt');
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'outbox.db');
    const first: OutboxEvent[] = [];
    const q1 = open(path, 1, first);
    q1.append(range(0, 50).map((i) => sample('a', i)));
    q1.commit();
    q1.close();
    // an SD card that lost a write: the header page is garbage
    const bytes = Buffer.alloc(4096, 0x5a);
    writeFileSync(path, bytes);

    const events: OutboxEvent[] = [];
    const q2 = open(path, 7, events);
    expect(events[0]).toMatchObject({ type: 'set-aside' });
    // the file cannot prove where the numbering stood: every device jumps to a fresh range
    expect(events.filter((e) => e.type === 'skip').map((e) => (e as { skip: { reason: string } }).skip.reason)).toEqual(['corrupt']);
    const aside = (events[0] as { path: string }).path;
    expect(existsSync(aside)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.includes('.corrupt-')).length).toBeGreaterThanOrEqual(1);
    q2.append([sample('a', 1), sample('a', 2)]);
    q2.commit();
    expect(seqs(takeAll(q2))).toEqual([freshBase(wall), freshBase(wall) + 1]);
    q2.close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });

  it('disk full: fault, readings kept in memory with their sequences, back to disk by itself when space returns', () => {
    const disk = SmallDisk.mount(1024);
    cleanups.push(() => disk.unmount());
    const path = join(disk.dir, 'outbox.db');
    const events: OutboxEvent[] = [];
    const q = open(path, 1, events);
    q.append(range(0, 100).map((i) => sample('a', i)));
    q.commit();
    expect(q.counters().mode).toBe('disk');

    disk.fill();
    let n = 100;
    // keep sampling; each commit writes WAL frames until the disk refuses
    for (let i = 0; i < 50 && q.counters().mode === 'disk'; i++) {
      q.append(range(n, 200).map((v) => sample('a', v)));
      n += 200;
      q.commit();
    }
    expect(q.counters()).toMatchObject({ mode: 'memory', trouble: 'full' });
    expect(events.filter((e) => e.type === 'trouble')).toEqual([expect.objectContaining({ trouble: 'full' })]);
    // sampling goes on while the disk is full; nothing is dropped (the ring holds it)
    for (let i = 0; i < 5; i++) {
      q.append(range(n, 100).map((v) => sample('a', v)));
      n += 100;
      q.commit();
    }
    expect(q.drops()).toEqual({ oldest: 0, rejected: 0, expired: 0 });
    expect(q.pending()).toBe(n);

    unlinkSync(join(disk.dir, 'filler'));
    q.commit(); // before the retry time: still in memory
    expect(q.counters().mode).toBe('memory');
    wall += 1000;
    q.commit();
    expect(q.counters().mode).toBe('disk');
    expect(events.at(-1)).toEqual({ type: 'recovered', trouble: 'full' });
    expect(q.counters().ringRows).toBe(0);
    expect(q.counters().rows).toBe(n);
    // every reading, exactly once, in order, sequences without a gap
    expect(seqs(takeAll(q))).toEqual(range(0, n));
    q.close();
  });

  it('read-only file system at start: the runtime still starts, keeps readings in memory, and moves them to disk when writable', () => {
    const disk = SmallDisk.mount(2048);
    cleanups.push(() => disk.unmount());
    const path = join(disk.dir, 'outbox.db');
    const q1 = open(path, 1, []);
    q1.append(range(0, 30).map((i) => sample('a', i)));
    q1.commit();
    q1.close();

    // the card went read-only while the box was off (Linux refuses a read-only remount while a
    // file is open for writing, so the transition happens between runs here)
    disk.readOnly();
    const events: OutboxEvent[] = [];
    const q = open(path, 2, events);
    expect(events.find((e) => e.type === 'trouble')).toMatchObject({ type: 'trouble', trouble: 'read-only' });
    q.append(range(0, 20).map((i) => sample('a', 100 + i)));
    q.commit();
    expect(q.counters().mode).toBe('memory');
    // the memory ring publishes meanwhile: nothing can be reserved on a read-only disk, so the
    // sequences jump to a fresh range above everything issued before
    const base = freshBase(wall);
    const early = q.take(5, 'live') as Batch;
    expect(early.samples.map((s) => s.seq)).toEqual(range(base, 5));
    q.ack(early.id);

    disk.writable();
    wall += 1000;
    q.commit();
    expect(q.counters().mode).toBe('disk');
    expect(events.at(-1)).toEqual({ type: 'recovered', trouble: 'read-only' });
    const rest = takeAll(q);
    // the 30 readings of boot 1 survived; the 15 of boot 2 not yet acknowledged were moved to disk
    expect(seqs(rest.filter((b) => b.boot === 1))).toEqual(range(0, 30));
    expect(seqs(rest.filter((b) => b.boot === 2))).toEqual(range(base + 5, 15));
    q.close();
  });
});
