import type Database from 'better-sqlite3';
import type { OutboxStatements } from './outbox-db.js';
import { type RowDamage, isDamage, setRowAside } from './outbox-damage.js';
import { At, RowState } from './outbox-rows.js';
import { type Part, takeRows } from './outbox-take.js';
import type { DiskRows } from './outbox-write.js';
import { type Batch, type Lane, type TimeFix, makeBatch } from './queue.js';

interface DbBatch {
  readonly lane: Lane;
  readonly parts: readonly Part[];
  readonly gen: number;
}

/**
 * The outbox's view of the rows in its file: which are taken (in flight), acknowledged (deleted at
 * the next commit) or split into readings, and the two lanes' cursors. How rows are written is
 * outbox-write.ts; how they are read for a message, outbox-take.ts. This is the seam where the
 * stored form of a batch meets publishing.
 */
export class StoredRows {
  readonly disk: DiskRows = { inflightRows: new Set(), loaded: new Map(), acked: new Map(), fresh: [], rows: 0, bytes: 0, lastId: 0, storedLast: 0 };
  private readonly inflight = new Map<number, DbBatch>();
  /** bumped when the file's rows are gone (set aside): batches of an older generation are ignored */
  private gen = 0;
  private boundary = 0;
  private liveCursor = 0;
  private backlogCursor = 0;
  /** readings of fresh rows the broker acknowledged since the last commit (never stored) */
  ackedFresh = 0;
  /** a damaged stored row was set aside; `lost` readings of it could not be kept */
  onDamage: ((d: RowDamage, lost: number) => void) | undefined;

  constructor(private readonly batchIds: { next: number }) {}

  /** Fresh rows (numbered, encoded, not in the file yet): takeable at once, stored by the next commit. */
  stage(rows: readonly RowState[]): void {
    const d = this.disk;
    for (const row of rows) {
      d.loaded.set(row.id, row);
      d.fresh.push(row);
      d.lastId = Math.max(d.lastId, row.id);
      d.rows += row.state.length;
      for (const b of row.bytes) d.bytes += b;
    }
  }

  /** The id of the next row (fresh rows take theirs when made). */
  nextId(): number {
    return ++this.disk.lastId;
  }

  /**
   * Readings for one message of `lane` (throws what SQLite throws). A damaged row it meets is set
   * aside first (outbox-damage.ts: its good readings stay, the row as found is kept in table
   * `damaged`, the lost ones counted) and reported through `onDamage`.
   */
  take(db: Database.Database, st: OutboxStatements, maxSamples: number, lane: Lane, now: number): Batch | undefined {
    const hi = lane === 'live' ? Number.MAX_SAFE_INTEGER : this.boundary;
    let t = takeRows(st, this.disk, lane === 'live' ? this.liveCursor : this.backlogCursor, hi, maxSamples);
    for (let repaired = 0; t.damaged && repaired < 16; repaired++) {
      const d = t.damaged;
      const r = setRowAside(db, st, d, now);
      this.disk.rows -= Math.max(0, r.nBefore - d.good.length);
      this.disk.bytes -= Math.max(0, r.bytesBefore - r.bytesAfter);
      this.onDamage?.(d, r.lost);
      // the readings taken before the damaged row go now; the repaired row comes with the next take
      if (t.parts.length > 0) break;
      t = takeRows(st, this.disk, lane === 'live' ? this.liveCursor : this.backlogCursor, hi, maxSamples);
    }
    if (lane === 'live') this.liveCursor = t.cursor;
    else this.backlogCursor = t.cursor;
    if (t.parts.length === 0 || t.boot === undefined) return undefined;
    for (const row of t.loadedNow) this.disk.loaded.set(row.id, row);
    for (const p of t.parts) {
      if (!p.idx) this.disk.inflightRows.add(p.row);
      else {
        const row = this.disk.loaded.get(p.row) as RowState;
        for (const i of p.idx) row.state[i] = At.InFlight;
      }
    }
    const id = this.batchIds.next++;
    this.inflight.set(id, { lane, parts: t.parts, gen: this.gen });
    // rows on disk already carry re-stamped times (fixed when written, or by restamp)
    return makeBatch(id, t.boot, t.bootId, lane, t.fragments, t.count);
  }

  ack(batchId: number): void {
    const b = this.inflight.get(batchId);
    if (!b) return;
    this.inflight.delete(batchId);
    if (b.gen !== this.gen) return; // rows of a database that was set aside
    const d = this.disk;
    for (const p of b.parts) {
      d.rows -= p.n;
      d.bytes -= p.bytes;
      if (!p.idx) {
        d.inflightRows.delete(p.row);
        d.acked.set(p.row, { n: p.n, bytes: p.bytes });
        continue;
      }
      const r = d.loaded.get(p.row);
      if (!r) continue;
      if (!r.onDisk) this.ackedFresh += p.n;
      for (const i of p.idx) r.state[i] = At.Acked;
      r.ackedN += p.n;
      r.ackedBytes += p.bytes;
      r.dirty = true;
      if (r.done()) {
        d.loaded.delete(p.row);
        // a fresh row the broker has all of never reaches the disk (the next commit drops it from `fresh`)
        if (r.onDisk) d.acked.set(p.row, { n: r.ackedN, bytes: r.ackedBytes });
      }
    }
  }

  release(batchId: number): void {
    const b = this.inflight.get(batchId);
    if (!b) return;
    this.inflight.delete(batchId);
    if (b.gen !== this.gen) return;
    for (const p of b.parts) {
      if (!p.idx) this.disk.inflightRows.delete(p.row);
      else {
        const r = this.disk.loaded.get(p.row);
        if (r) for (const i of p.idx) if (r.state[i] === At.InFlight) r.state[i] = At.Waiting;
      }
    }
    const before = (b.parts[0]?.row ?? 1) - 1;
    if (b.lane === 'live') this.liveCursor = Math.min(this.liveCursor, before);
    else this.backlogCursor = Math.min(this.backlogCursor, before);
  }

  releaseAll(): void {
    for (const id of [...this.inflight.keys()]) this.release(id);
  }

  /** What is stored now becomes the backlog lane; rows written later are live. */
  splitBacklog(): void {
    this.boundary = this.disk.lastId;
    this.backlogCursor = 0;
    this.liveCursor = this.boundary;
  }

  /** Re-stamp, on disk and in loaded rows, the readings of this boot read with an untrusted clock. */
  restamp(db: Database.Database, st: OutboxStatements, fix: TimeFix, bootId: string): void {
    for (const row of this.disk.loaded.values()) if (row.boot === fix.boot) row.restamp(fix);
    const written: RowState[] = [];
    db.transaction(() => {
      for (const id of st.untrusted.all(fix.boot) as number[]) {
        const row = this.disk.loaded.get(id) ?? RowState.load(st, id, fix.boot, bootId);
        if (!row || isDamage(row)) continue; // set aside when a take meets it
        if (this.disk.loaded.has(id)) written.push(row);
        else row.restamp(fix);
        row.rewrite(st);
      }
    }).immediate();
    for (const row of written) row.settled();
  }

  /** Count what a file just opened holds (acknowledged readings still in it are not pending). */
  loadTotals(st: OutboxStatements): void {
    const t = st.totals.get() as { n: number; bytes: number; last: number };
    let ackedN = 0;
    let ackedBytes = 0;
    for (const [id, a] of this.disk.acked) {
      if (!st.has.get(id)) continue;
      ackedN += a.n;
      ackedBytes += a.bytes;
    }
    let freshN = 0;
    let freshBytes = 0;
    for (const row of this.disk.loaded.values()) {
      if (!row.onDisk) {
        // fresh rows (not in this file): what of them is not acknowledged
        for (const i of row.kept()) {
          freshN++;
          freshBytes += row.bytes[i] as number;
        }
        continue;
      }
      ackedN += row.ackedN;
      ackedBytes += row.ackedBytes;
    }
    this.disk.rows = t.n - ackedN + freshN;
    this.disk.bytes = t.bytes - ackedBytes + freshBytes;
    this.disk.lastId = Math.max(this.disk.lastId, t.last);
    this.disk.storedLast = t.last;
  }

  /**
   * Rows of the old file are gone (set aside): forget cursors and in-flight state about them.
   * Fresh rows were never in it: they stay (in flight ones are released) and go to the new file.
   */
  forget(): void {
    this.gen++;
    this.inflight.clear();
    const d = this.disk;
    d.inflightRows.clear();
    d.loaded.clear();
    d.acked.clear();
    d.rows = 0;
    d.bytes = 0;
    d.storedLast = 0;
    for (const row of d.fresh) {
      for (let i = 0; i < row.state.length; i++) if (row.state[i] === At.InFlight) row.state[i] = At.Waiting;
      d.loaded.set(row.id, row);
      for (const i of row.kept()) {
        d.rows++;
        d.bytes += row.bytes[i] as number;
      }
    }
    if (d.fresh.length === 0) d.lastId = 0;
    this.boundary = 0;
    this.liveCursor = 0;
    this.backlogCursor = 0;
  }
}
