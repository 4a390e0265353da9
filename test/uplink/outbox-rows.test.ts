import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sample } from '../../firmware/reading.js';
import { Outbox } from '../../firmware/uplink/outbox.js';
import type { Batch } from '../../firmware/uplink/queue.js';
import { tempDir } from '../helpers/scratch.js';

/**
 * The outbox stores a row per batch of readings (firmware/uplink/outbox-rows.ts). What a
 * technician sees in the file, and files written by the per-reading layout before it.
 */
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const wall = Date.UTC(2026, 5, 1);
const sample = (i: number, timeSource: Sample['timeSource'] = 'system'): Sample => ({
  device: `d${i % 3}`, kind: 'sample', monoMs: 1000 + i, wallMs: wall + i, timeSource, values: [{ channel: 'x', value: i, unit: 'V' }],
});

function open(path: string, boot = 1, rowSamples = 200): Outbox {
  return new Outbox({ path, boot, rowSamples, ringRows: 1000, retryMs: 1000, maxRows: 1_000_000, maxBytes: 1e9, maxAgeMs: 0, policy: 'drop-oldest', wallNow: () => wall });
}

function newPath(): string {
  const dir = tempDir('rows');
  dirs.push(dir);
  return join(dir, 'outbox.db');
}

const rowsIn = (path: string): number[] => {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT n FROM batches ORDER BY id').pluck().all() as number[];
  } finally {
    db.close();
  }
};

const values = (bs: readonly Batch[]): number[] => bs.flatMap((b) => b.samples.map((s) => s.v.x as number));

describe('outbox rows', () => {
  it('stores a commit as rows of at most rowSamples readings; a message of whole rows is one row, byte for byte', () => {
    const path = newPath();
    const q = open(path, 1, 200);
    q.append(Array.from({ length: 450 }, (_, i) => sample(i)));
    q.commit();
    expect(rowsIn(path)).toEqual([200, 200, 50]);
    const b = q.take(200, 'live') as Batch;
    expect(b.count).toBe(200);
    expect(b.bodies).toHaveLength(1); // one fragment: the stored row, lines joined by commas
    expect(JSON.parse(`[${b.bodies.join(',')}]`)).toEqual(b.samples);
    expect(values([b])).toEqual(Array.from({ length: 200 }, (_, i) => i));
    q.ack(b.id);
    q.commit();
    expect(rowsIn(path)).toEqual([200, 50]);
    q.close();
  });

  it('a message smaller than a row splits it; its acknowledged readings leave the file at the next commit', () => {
    const path = newPath();
    const q = open(path);
    q.append(Array.from({ length: 10 }, (_, i) => sample(i)));
    q.commit();
    const a = q.take(3, 'live') as Batch;
    const b = q.take(3, 'live') as Batch;
    q.ack(b.id); // out of order: 3..5 acknowledged, 0..2 still in flight
    q.commit();
    expect(rowsIn(path)).toEqual([7]);
    expect(q.pending()).toBe(7);
    q.ack(a.id);
    q.commit();
    expect(rowsIn(path)).toEqual([4]);
    const rest = q.take(10, 'live') as Batch;
    expect(values([rest])).toEqual([6, 7, 8, 9]);
    q.ack(rest.id);
    q.commit();
    expect(rowsIn(path)).toEqual([]);
    expect(q.pending()).toBe(0);
    q.close();
  });

  it('a file of the per-reading layout is migrated at open: same readings, order, sequences, re-stamping', () => {
    const path = newPath();
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE seqs (dev TEXT PRIMARY KEY, next INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE outbox (id INTEGER PRIMARY KEY, dev TEXT NOT NULL, seq INTEGER NOT NULL, boot INTEGER NOT NULL,
        mono REAL NOT NULL, tq TEXT NOT NULL, created INTEGER NOT NULL, body TEXT NOT NULL);
    `);
    const ins = db.prepare('INSERT INTO outbox VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    for (let i = 0; i < 5; i++) {
      const tq = i < 2 ? 'none' : 'system';
      ins.run(i + 1, 'a', 40 + i, 3, 500 + i, tq, wall, JSON.stringify({ dev: 'a', seq: 40 + i, kind: 'sample', t: 7 + i, tq, v: { x: i }, u: { x: 'V' } }));
    }
    db.prepare('INSERT INTO seqs VALUES (?, ?)').run('a', 45);
    db.close();

    const q = open(path, 3);
    expect(q.pending()).toBe(5);
    expect(q.sequences()).toEqual({ a: 45 });
    q.restamp(1_000_000, 'gps');
    const got = q.take(100, 'live') as Batch;
    expect(got.samples.map((s) => s.seq)).toEqual([40, 41, 42, 43, 44]);
    expect(got.samples[0]).toMatchObject({ t: 1_000_500, tq: 'gps', re: true });
    expect(got.samples[2]).toMatchObject({ t: 9, tq: 'system' });
    q.ack(got.id);
    q.append([sample(0)]);
    q.commit();
    const next = q.take(10, 'live') as Batch;
    expect(next.samples.map((s) => [s.dev, s.seq])).toEqual([['d0', 0]]);
    q.close();
    const check = new Database(path, { readonly: true });
    expect(check.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'outbox'").pluck().get()).toBe(0);
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    check.close();
  });

  it('re-stamping rewrites split rows in memory and on disk', () => {
    const path = newPath();
    const q = open(path);
    q.append(Array.from({ length: 6 }, (_, i) => sample(i, 'none')));
    q.commit();
    const first = q.take(2, 'live') as Batch; // the row is split now
    q.restamp(5_000, 'system');
    q.release(first.id);
    const all = q.take(10, 'live') as Batch;
    expect(all.samples.map((s) => [s.t, s.tq, s.re])).toEqual(Array.from({ length: 6 }, (_, i) => [6_000 + i, 'system', true]));
    q.close();
    const r = open(path, 2);
    const again = r.take(10, 'live') as Batch; // in flight at close: comes again, re-stamped on disk
    expect(again.samples.map((s) => s.tq)).toEqual(Array(6).fill('system'));
    r.close();
  });
});
