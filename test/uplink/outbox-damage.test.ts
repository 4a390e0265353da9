import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { Sample } from '../../firmware/reading.js';
import { Outbox, type OutboxEvent } from '../../firmware/uplink/outbox.js';
import type { Batch } from '../../firmware/uplink/queue.js';
import { encodeTelemetryBodies } from '../../firmware/uplink/payload.js';
import { tempDir } from '../helpers/scratch.js';

/**
 * A stored batch that is not what the outbox wrote (a flipped bit, a torn page, a hand edit):
 * the box names the file, the row and what is wrong, sends the readings that are still readings,
 * keeps the row as found for inspection, counts what it could not keep, and never puts invalid
 * JSON on the telemetry topic or stops.
 */
const wall = Date.UTC(2026, 5, 1);
let mono = 0;
const sample = (device: string, timeSource: Sample['timeSource'] = 'system'): Sample => {
  mono += 10;
  return { device, kind: 'sample', monoMs: mono, wallMs: wall + mono, timeSource, values: [{ channel: 'x', value: mono, unit: 'V' }] };
};
const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

function open(path: string, boot: number): { q: Outbox; events: OutboxEvent[] } {
  const events: OutboxEvent[] = [];
  const q = new Outbox({
    path, boot, ringRows: 1000, retryMs: 1000, maxRows: 1_000_000, maxBytes: 1e9, maxAgeMs: 0, policy: 'drop-oldest',
    wallNow: () => wall, onEvent: (e) => events.push(e),
  });
  return { q, events };
}

/** A file with three stored rows of 50 readings of device a (0..49, 50..99, 100..149), stopped cleanly. */
function threeRows(timeSource: Sample['timeSource'] = 'system'): string {
  const path = join(tempDir('damage'), 'outbox.db');
  const { q } = open(path, 1);
  for (let r = 0; r < 3; r++) {
    q.append(Array.from({ length: 50 }, () => sample('a', timeSource)));
    q.commit();
  }
  q.close();
  return path;
}

/** Edit the second stored row by hand, as a damaged card would leave it. */
function damage(path: string, edit: (row: { id: number; body: string; monos: string | null }) => { body?: unknown; monos?: unknown }): number {
  const db = new Database(path);
  try {
    const rows = db.prepare('SELECT id, body, monos FROM batches ORDER BY id').all() as { id: number; body: string; monos: string | null }[];
    const row = rows[1] as { id: number; body: string; monos: string | null };
    const e = edit(row);
    if ('body' in e) db.prepare('UPDATE batches SET body = ? WHERE id = ?').run(e.body, row.id);
    if ('monos' in e) db.prepare('UPDATE batches SET monos = ? WHERE id = ?').run(e.monos, row.id);
    return row.id;
  } finally {
    db.close();
  }
}

/** Take the backlog in messages of `max`, as the session does; every message must be valid JSON. */
function drain(q: Outbox, max: number): number[] {
  q.splitBacklog();
  const seqs: number[] = [];
  for (let b: Batch | undefined = q.take(max, 'backlog'); b; b = q.take(max, 'backlog')) {
    const payload = encodeTelemetryBodies('box', b.boot, b.bodies, true, b.bootId);
    const parsed = JSON.parse(payload) as { samples: { seq: number }[] };
    expect(parsed.samples).toHaveLength(b.count);
    seqs.push(...parsed.samples.map((s) => s.seq));
    q.ack(b.id);
  }
  q.commit();
  return seqs;
}

const damagedEvents = (events: readonly OutboxEvent[]) => events.flatMap((e) => (e.type === 'damaged' ? [e] : []));

describe('outbox: damaged stored batches', () => {
  it('a line that is not a reading: the rest of the row is sent, the row as found kept, the loss counted in the file', () => {
    const path = threeRows();
    const id = damage(path, (r) => ({ body: r.body.split('\n').map((l, i) => (i === 4 ? l.slice(0, 17) : l)).join('\n') }));
    const { q, events } = open(path, 2);
    const seqs = drain(q, 200);
    expect(seqs).toEqual([...range(0, 54), ...range(55, 95)]);
    const [d] = damagedEvents(events);
    expect(d).toMatchObject({ path, row: id, boot: 1, lost: 1, kept: 49 });
    expect(d?.reason).toMatch(/^line 5: /);
    expect(q.counters().damaged).toBe(1);
    expect(q.pending()).toBe(0);
    q.close();

    const db = new Database(path, { readonly: true });
    const kept = db.prepare('SELECT row, reason, n, body FROM damaged').all() as { row: number; reason: string; n: number; body: string }[];
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ row: id, n: 50 });
    expect(kept[0]?.body.split('\n')).toHaveLength(50); // as found, for inspection
    expect(db.prepare('SELECT count(*) FROM batches').pluck().get()).toBe(0);
    db.close();
    // the count is in the file: a restart still reports it
    const again = open(path, 3);
    expect(again.q.counters().damaged).toBe(1);
    expect(damagedEvents(again.events)).toEqual([]);
    again.q.close();
  });

  it('a row with fewer lines than readings, met by a take that splits it: the lines left are sent, the missing ones counted', () => {
    const path = threeRows();
    const id = damage(path, (r) => ({ body: r.body.split('\n').slice(0, 10).join('\n') }));
    const { q, events } = open(path, 2);
    const seqs = drain(q, 20);
    expect(seqs).toEqual([...range(0, 60), ...range(100, 50)]);
    expect(damagedEvents(events)).toEqual([expect.objectContaining({ row: id, lost: 40, kept: 10, reason: '10 lines for 50 readings' })]);
    expect(q.counters().damaged).toBe(40);
    q.close();
  });

  it('a row of garbage bytes: nothing of it is sent, all of it counted, the row removed, the next row still goes', () => {
    const path = threeRows();
    const id = damage(path, () => ({ body: Buffer.alloc(300, 0) }));
    const { q, events } = open(path, 2);
    const seqs = drain(q, 200);
    expect(seqs).toEqual([...range(0, 50), ...range(100, 50)]);
    expect(damagedEvents(events)).toEqual([expect.objectContaining({ row: id, lost: 50, kept: 0 })]);
    expect(q.counters().damaged).toBe(50);
    expect(q.pending()).toBe(0);
    q.close();
  });

  it('an unreadable time column: every reading is sent (not re-stamped), none lost, the fault names the column', () => {
    const path = threeRows('none');
    const id = damage(path, () => ({ monos: '[1,2,' }));
    const { q, events } = open(path, 2);
    const seqs = drain(q, 20);
    expect(seqs).toEqual(range(0, 150));
    expect(damagedEvents(events)).toEqual([expect.objectContaining({ row: id, lost: 0, kept: 50 })]);
    expect(damagedEvents(events)[0]?.reason).toMatch(/^monos is not JSON/);
    expect(q.counters().damaged).toBe(0);
    q.close();
  });
});
