import { randomUUID } from 'node:crypto';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import type { TimeSource } from '../../drivers/bus/clock.js';
import type { Sample } from '../reading.js';
import { type OutboxStatements, type StorageTrouble, classifyStorageError, openOutboxDb, prepareStatements } from './outbox-db.js';
import { At, RowState } from './outbox-rows.js';
import { type SeqSkip, SeqAllocator, type SkipReason } from './outbox-seqs.js';
import { HEADROOM_BYTES, RESUME_BYTES, Spare, WriteMeter, freeBytes } from './outbox-space.js';
import { type Part, takeRows } from './outbox-take.js';
import { checkWal } from './outbox-wal.js';
import { type DiskRows, storedDrops, writeCommit } from './outbox-write.js';
import { toWire } from './payload.js';
import { type Batch, type DropCounts, type Entry, type Lane, MemoryQueue, makeBatch, type QueueBounds, type SampleQueue, type TimeFix } from './queue.js';
import { setAside, type StartState, adoptFile, markClean, reserve } from './outbox-start.js';

export interface OutboxOptions extends QueueBounds {
  /** the database file, e.g. /var/lib/edgefw/outbox.db */
  readonly path: string;
  readonly boot: number;
  /** random id of this start (docs/mqtt.md); a fresh one when not given */
  readonly bootId?: string;
  /** the box never started before (no boot counter): a new file may start sequences at 0. Default: boot ≤ 1 */
  readonly firstStart?: boolean;
  /** samples the memory ring holds while the disk is in trouble */
  readonly ringRows: number;
  /** how often to try the disk again while it is in trouble, ms */
  readonly retryMs: number;
  /** readings stored per row at most: a message's worth (uplink.batch.maxSamples), default 200 */
  readonly rowSamples?: number;
  readonly wallNow?: () => number;
  readonly onEvent?: (e: OutboxEvent) => void;
}

export type OutboxEvent =
  | { readonly type: 'trouble'; readonly trouble: StorageTrouble; readonly message: string }
  | { readonly type: 'recovered'; readonly trouble: StorageTrouble }
  | { readonly type: 'set-aside'; readonly path: string; readonly reason: string }
  /** sequences skipped or jumped to a fresh range (reported in the status) */
  | { readonly type: 'skip'; readonly skip: SeqSkip }
  /** a fresh range is reserved on disk again: continuity from here on */
  | { readonly type: 'reserved' };

export interface OutboxCounters {
  readonly mode: 'disk' | 'memory';
  readonly trouble: StorageTrouble | undefined;
  /** samples stored on disk (not yet acknowledged) */
  readonly rows: number;
  readonly bytes: number;
  /** samples in the memory ring */
  readonly ringRows: number;
  readonly commits: number;
  /** bytes SQLite wrote: WAL frames + checkpointed pages */
  readonly bytesWritten: number;
  /** samples committed to disk since start */
  readonly committed: number;
  /** size of the write-ahead log now */
  readonly walBytes: number;
  /** drops counted in the file (all starts); the ring's drops become durable when it reaches the disk */
  readonly dropped: DropCounts;
  /** random id of the outbox file the drop counters belong to (a new file starts new counters) */
  readonly fileId: number;
  /** drops of the memory ring this start, not yet in the file */
  readonly memoryDropped: number;
  /** readings a stop found in the memory ring and could not save (counted, lost) */
  readonly discarded: number;
  /** latest sequence skips and fresh ranges (this start's and those found in the file); saved false = not yet in the file */
  readonly skips: readonly (SeqSkip & { readonly saved?: false })[];
}

interface DbBatch {
  readonly lane: Lane;
  readonly parts: readonly Part[];
  readonly gen: number;
}

const ZERO: DropCounts = { oldest: 0, rejected: 0, expired: 0 };
const add = (a: DropCounts, b: DropCounts): DropCounts => ({ oldest: a.oldest + b.oldest, rejected: a.rejected + b.rejected, expired: a.expired + b.expired });
const sub = (a: DropCounts, b: DropCounts): DropCounts => ({ oldest: a.oldest - b.oldest, rejected: a.rejected - b.rejected, expired: a.expired - b.expired });
const SKIPS_REPORTED = 16;

/**
 * The durable outbox (SampleQueue on SQLite), inside the uplink worker. See SampleQueue for the
 * contract. Beyond it:
 * - commit() is one transaction (outbox-write.ts): new rows with their sequences, the per-device
 *   counters, deletion of acknowledged rows, the bounds and the drop counters they moved.
 * - Readings are stored in rows of up to `rowSamples` readings (outbox-rows.ts, outbox-take.ts).
 * - Sequences come from durable reservations (outbox-seqs.ts, outbox-start.ts): no number is
 *   ever issued twice, whatever the disk does; skips and fresh ranges are reported.
 * - Disk trouble: full (less than HEADROOM_BYTES free, or SQLITE_FULL) keeps the file open to send
 *   and delete what it holds, checkpoint and vacuum; read-only, I/O errors close it; a corrupt
 *   file is renamed aside. New readings (with their sequences) wait in a bounded memory ring, are
 *   published from there, and move to disk once it takes writes again (retried every retryMs).
 */
export class Outbox implements SampleQueue {
  private db: Database.Database | undefined;
  private stmt: OutboxStatements | undefined;
  private meter: WriteMeter | undefined;
  private readonly alloc: SeqAllocator;
  private readonly ring: MemoryQueue;
  private readonly batchIds = { next: 1 };
  private buffer: Sample[] = [];
  private readonly inflight = new Map<number, DbBatch>();
  private readonly disk: DiskRows = { inflightRows: new Set(), loaded: new Map(), acked: new Map(), rows: 0, bytes: 0, lastId: 0 };
  private readonly start: StartState;
  private gen = 0;
  private boundary = 0;
  private liveCursor = 0;
  private backlogCursor = 0;
  private committedCount = 0;
  private commitsBefore = 0;
  private writtenBefore = 0;
  private fix: TimeFix | undefined;
  private trouble: StorageTrouble | undefined;
  private nextRetry = 0;
  private closed = false;
  /** drop counters in the file; ring drops already carried into them */
  private durable: DropCounts = ZERO;
  private carried: DropCounts = ZERO;
  private discarded = 0;
  private fileSkips: SeqSkip[] = [];
  private fileId = 0;
  private readonly wallNow: () => number;
  private readonly rowSamples: number;
  private readonly spare: Spare;
  readonly bootId: string;

  constructor(private readonly options: OutboxOptions) {
    this.wallNow = options.wallNow ?? Date.now;
    this.rowSamples = Math.max(1, options.rowSamples ?? 200);
    this.bootId = options.bootId ?? randomUUID();
    this.alloc = new SeqAllocator({ boot: options.boot, bootId: this.bootId });
    this.spare = new Spare(`${options.path}.spare`);
    this.start = { adopted: false, owns: false, firstStart: options.firstStart ?? options.boot <= 1 };
    this.ring = new MemoryQueue({
      maxRows: options.ringRows,
      maxBytes: Number.MAX_SAFE_INTEGER,
      maxAgeMs: options.maxAgeMs,
      policy: options.policy,
      boot: options.boot,
      bootId: this.bootId,
      batchIds: this.batchIds,
      wallNow: this.wallNow,
    });
    this.open();
  }

  append(samples: readonly Sample[]): void {
    for (const s of samples) this.buffer.push(s);
  }

  commit(): void {
    const now = this.wallNow();
    const samples = this.buffer;
    this.buffer = [];
    if (!this.db && now >= this.nextRetry) this.open();
    if (this.db && samples.length > 0) this.reserveFor(samples, now);
    const fresh: Entry[] = samples.map((s) => ({
      id: 0, boot: this.options.boot, bootId: this.bootId, mono: s.monoMs, created: now, bytes: 0, wire: toWire(s, this.number(s.device, now)), body: '',
    }));
    const toRing = (): void => {
      for (const e of fresh) this.ring.push(e.wire, e.mono, e.created, e.boot, e.bootId);
      this.ring.commit(); // applies the age bound
    };
    if (!this.db) return toRing();
    if (!this.roomFor(now, fresh.length)) {
      toRing();
      this.maintain(now);
      return;
    }
    const moved = this.ring.drainWaiting();
    try {
      this.write([...moved, ...fresh], now);
      if (this.trouble) this.recovered();
    } catch (e) {
      for (const x of [...moved, ...fresh]) this.ring.push(x.wire, x.mono, x.created, x.boot, x.bootId);
      this.enterTrouble(e, now);
    }
  }

  take(maxSamples: number, lane: Lane): Batch | undefined {
    if (lane === 'live') return this.ring.take(maxSamples, lane) ?? this.takeDb(maxSamples, lane);
    return this.takeDb(maxSamples, lane) ?? this.ring.take(maxSamples, lane);
  }

  ack(batchId: number): void {
    if (this.ring.owns(batchId)) return this.ring.ack(batchId);
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
      for (const i of p.idx) r.state[i] = At.Acked;
      r.ackedN += p.n;
      r.ackedBytes += p.bytes;
      r.dirty = true;
      if (r.done()) {
        d.loaded.delete(p.row);
        d.acked.set(p.row, { n: r.ackedN, bytes: r.ackedBytes });
      }
    }
  }

  release(batchId: number): void {
    if (this.ring.owns(batchId)) return this.ring.release(batchId);
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
    this.ring.releaseAll();
    for (const id of [...this.inflight.keys()]) this.release(id);
  }

  splitBacklog(): void {
    this.boundary = this.disk.lastId;
    this.backlogCursor = 0;
    this.liveCursor = this.boundary;
    this.ring.splitBacklog();
  }

  restamp(offsetMs: number, source: TimeSource): void {
    this.fix = { boot: this.options.boot, offsetMs, source };
    this.ring.restamp(offsetMs, source);
    if (!this.db || !this.stmt) return;
    try {
      this.restampDb(this.db, this.stmt, this.fix);
    } catch (e) {
      this.enterTrouble(e, this.wallNow());
    }
  }

  pending(): number {
    return this.disk.rows + this.ring.pending();
  }

  /** Every drop: those counted in the file (all starts) and the memory ring's of this start. */
  drops(): DropCounts {
    return add(this.durable, sub(this.ring.drops(), this.carried));
  }

  sequences(): Record<string, number> {
    return Object.fromEntries(this.alloc.next);
  }

  counters(): OutboxCounters {
    const r = sub(this.ring.drops(), this.carried);
    const mine = new Set(this.alloc.skips);
    return {
      mode: this.db && this.trouble === undefined ? 'disk' : this.closed && !this.trouble ? 'disk' : 'memory',
      trouble: this.trouble,
      rows: this.disk.rows,
      bytes: this.disk.bytes,
      ringRows: this.ring.pending(),
      commits: this.commitsBefore + (this.meter?.commits ?? 0),
      bytesWritten: this.writtenBefore + (this.meter?.bytes ?? 0),
      committed: this.committedCount,
      walBytes: this.meter?.walBytes() ?? 0,
      dropped: this.durable,
      fileId: this.fileId,
      memoryDropped: r.oldest + r.rejected + r.expired,
      discarded: this.discarded,
      skips: [...this.fileSkips.filter((s) => !mine.has(s)), ...this.alloc.skips.map((s) => (this.alloc.pendingSkips.includes(s) ? { ...s, saved: false } : s))].slice(
        -SKIPS_REPORTED,
      ),
    };
  }

  /**
   * Graceful stop: commit what is buffered, move the memory ring to disk and mark the file cleanly
   * stopped (the next start continues without a gap). What the disk cannot take is counted as
   * discarded (the status and the log say so); its numbers lie in reservations the next start skips.
   */
  close(): void {
    this.commit();
    this.ring.releaseAll();
    if (this.ring.pending() > 0) this.commit();
    const left = this.ring.pending();
    if (left === 0 && this.db && this.stmt && this.meter && this.trouble === undefined) {
      try {
        markClean(this.db, this.stmt, this.alloc);
        this.meter.checkpoint();
      } catch {
        // not marked clean: the next start skips the rest of the reservations, nothing is reused
      }
    }
    this.discarded += left;
    this.ring.close();
    this.closeDb();
    this.closed = true;
  }

  // ---- disk ----

  /** A device's next number; a spent reservation (the disk refused a new one) jumps to a fresh range. */
  private number(dev: string, now: number): number {
    const s = this.alloc.take(dev);
    if (s !== undefined) return s;
    this.jump('reservation-spent', now);
    return this.alloc.take(dev) as number;
  }

  private jump(reason: SkipReason, now: number, floor = 0): void {
    const before = this.alloc.skips.length;
    this.alloc.jump(reason, now, floor);
    for (const s of this.alloc.skips.slice(before)) this.options.onEvent?.({ type: 'skip', skip: s });
  }

  /** Before numbering `samples`: extend the reservations that would come too close (written and checkpointed first). */
  private reserveFor(samples: readonly Sample[], now: number): void {
    const want = new Map<string, number>();
    for (const s of samples) want.set(s.device, (want.get(s.device) ?? 0) + 1);
    this.reserveNow(want, now);
  }

  private reserveNow(want: ReadonlyMap<string, number>, now: number): void {
    const db = this.db;
    const st = this.stmt;
    if (!db || !st || !this.meter) return;
    const wasUnreserved = this.alloc.unreserved;
    try {
      if (!reserve(db, st, this.alloc, want, this.ring.lowestSeqs(), this.meter, this.fileId)) return;
      this.start.owns = true;
      if (wasUnreserved) this.options.onEvent?.({ type: 'reserved' });
    } catch (e) {
      this.enterTrouble(e, now);
    }
  }

  /**
   * Room on disk for `fresh` new readings and the ring's (when they move): what the commit and
   * the checkpoint after it may take, plus the headroom. Below it the disk counts as full.
   */
  private roomFor(now: number, fresh: number): boolean {
    if (this.trouble === 'full' && now < this.nextRetry) return false;
    const free = freeBytes(dirname(this.options.path));
    const wal = this.meter?.walBytes() ?? 0;
    // a reading takes ~200 B of row and index pages; the WAL holds it once more until the checkpoint
    const commit = 2 * (this.ring.waitingBytes() + fresh * 300) + 8192;
    const need = (this.trouble === 'full' ? RESUME_BYTES : HEADROOM_BYTES) + wal + commit;
    if (free >= need) {
      this.spare.keep(free - commit);
      return true;
    }
    this.nextRetry = now + this.options.retryMs;
    this.setTrouble('full', `${Math.round(free / 1024)} KiB free on ${dirname(this.options.path)}, ${Math.round(need / 1024)} KiB needed`);
    return false;
  }

  /**
   * While the disk is full: delete what the broker acknowledged, apply the bounds, checkpoint and
   * vacuum. When not even that fits (something else filled the disk to the last byte), the spare
   * file makes room for it.
   */
  private maintain(now: number): void {
    const d = this.disk;
    const o = this.options;
    const work = d.acked.size > 0 || d.rows > o.maxRows || d.bytes > o.maxBytes || [...d.loaded.values()].some((r) => r.dirty);
    if (!work) return;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        this.write([], now);
        return;
      } catch (e) {
        if (classifyStorageError(e) !== 'full' || !this.spare.release()) return; // the next commit tries again
      }
    }
  }

  private write(entries: readonly Entry[], now: number): void {
    const db = this.db as Database.Database;
    const st = this.stmt as OutboxStatements;
    // a device's stored counter stays at or below the numbers the memory ring still holds or
    // dropped uncounted; the ring's drops join the file's counters once the ring is empty
    const low = this.ring.lowestSeqs();
    const seqs = [...this.alloc.next].map(([dev, next]) => [dev, Math.min(next, low.get(dev) ?? next), this.alloc.limit(dev)] as const);
    const carried = this.ring.pending() === 0 ? sub(this.ring.drops(), this.carried) : ZERO;
    const skips = [...this.alloc.pendingSkips];
    const r = writeCommit(db, st, this.disk, {
      entries, now, bounds: this.options, rowSamples: this.rowSamples, fix: this.fix, seqs, skips, dropsBefore: this.durable, dropsCarried: carried,
    });
    this.alloc.skipsSaved(skips.length);
    this.durable = add(add(this.durable, r.dropped), carried);
    this.carried = add(this.carried, carried);
    if (this.ring.pending() === 0) this.ring.forgetDropped();
    this.committedCount += r.inserted;
    this.meter?.afterCommit(this.disk.rows === 0);
  }

  private takeDb(maxSamples: number, lane: Lane): Batch | undefined {
    const st = this.stmt;
    if (!st) return undefined;
    const hi = lane === 'live' ? Number.MAX_SAFE_INTEGER : this.boundary;
    let t: ReturnType<typeof takeRows>;
    try {
      t = takeRows(st, this.disk, lane === 'live' ? this.liveCursor : this.backlogCursor, hi, maxSamples);
    } catch (e) {
      this.enterTrouble(e, this.wallNow());
      return undefined;
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

  /** Re-stamp, on disk and in loaded rows, the readings of this boot read with an untrusted clock. */
  private restampDb(db: Database.Database, st: OutboxStatements, fix: TimeFix): void {
    for (const row of this.disk.loaded.values()) if (row.boot === fix.boot) row.restamp(fix);
    const written: RowState[] = [];
    db.transaction(() => {
      for (const id of st.untrusted.all(fix.boot) as number[]) {
        const row = this.disk.loaded.get(id) ?? RowState.load(st, id, fix.boot, this.bootId);
        if (!row) continue;
        if (this.disk.loaded.has(id)) written.push(row);
        else row.restamp(fix);
        row.rewrite(st);
      }
    }).immediate();
    for (const row of written) row.settled();
    this.meter?.afterCommit();
  }

  /** Open (or create) the file, adopt its counters (first open) or merge with ours, reserve ahead. */
  private open(): boolean {
    const now = this.wallNow();
    const wal = checkWal(`${this.options.path}-wal`); // before SQLite replays (and forgets) a torn log
    let r: ReturnType<typeof openOutboxDb>;
    try {
      r = openOutboxDb(this.options.path, now);
    } catch (e) {
      if (!this.start.adopted) {
        this.start.adopted = true;
        this.jump('unwritable', now);
      }
      this.enterTrouble(e, now);
      return false;
    }
    this.db = r.db;
    this.stmt = prepareStatements(r.db);
    this.meter = new WriteMeter(r.db, this.options.path);
    if (r.setAside) {
      this.forgetDb();
      this.options.onEvent?.({ type: 'set-aside', path: r.setAside.path, reason: r.setAside.reason });
    }
    try {
      const before = this.alloc.skips.length;
      const found = adoptFile(this.stmt, this.alloc, this.start, { setAside: r.setAside !== undefined, wal, now }, (reason) => this.alloc.jump(reason, now));
      for (const s of this.alloc.skips.slice(before)) this.options.onEvent?.({ type: 'skip', skip: s });
      // a different file (set aside, lost): the ring's drops so far belong to the range it abandoned
      if (this.fileId !== 0 && found.fileId !== this.fileId) this.carried = this.ring.drops();
      this.durable = found.drops;
      this.fileSkips = found.skips;
      this.fileId = found.fileId;
      this.reserveNow(new Map(), now);
      // nothing could be reserved at start: this start's numbers must not collide with any later one's
      if (!this.start.owns && !this.alloc.jumped) this.jump('unwritable', now);
      if (!this.db || !this.stmt) return false;
      this.loadTotals(this.stmt);
      // trust arrived while the file was closed: re-stamp what it holds of this boot now
      if (this.fix) this.restampDb(r.db, this.stmt, this.fix);
    } catch (e) {
      this.enterTrouble(e, now);
      return false;
    }
    return true;
  }

  private loadTotals(st: OutboxStatements): void {
    const t = st.totals.get() as { n: number; bytes: number; last: number };
    // acknowledged readings still on disk are not pending
    let ackedN = 0;
    let ackedBytes = 0;
    for (const [id, a] of this.disk.acked) {
      if (!st.has.get(id)) continue;
      ackedN += a.n;
      ackedBytes += a.bytes;
    }
    for (const row of this.disk.loaded.values()) {
      ackedN += row.ackedN;
      ackedBytes += row.ackedBytes;
    }
    this.disk.rows = t.n - ackedN;
    this.disk.bytes = t.bytes - ackedBytes;
    this.disk.lastId = Math.max(this.disk.lastId, t.last);
  }

  /** Rows of the old file are gone (set aside): forget cursors and in-flight state about them. */
  private forgetDb(): void {
    this.gen++;
    this.inflight.clear();
    this.disk.inflightRows.clear();
    this.disk.loaded.clear();
    this.disk.acked.clear();
    this.disk.lastId = 0;
    this.disk.rows = 0;
    this.disk.bytes = 0;
    this.boundary = 0;
    this.liveCursor = 0;
    this.backlogCursor = 0;
  }

  private enterTrouble(e: unknown, now: number): void {
    const trouble = classifyStorageError(e, dirname(this.options.path));
    // a full disk stays open: what it holds is still sent, deleted, checkpointed and vacuumed
    if (trouble !== 'full') this.closeDb();
    if (trouble === 'corrupt' && setAside(this.options.path, now, (path) => this.options.onEvent?.({ type: 'set-aside', path, reason: (e as Error).message }))) {
      this.forgetDb();
    }
    this.nextRetry = now + this.options.retryMs;
    this.setTrouble(trouble, (e as Error).message);
  }

  private setTrouble(trouble: StorageTrouble, message: string): void {
    if (this.trouble === trouble) return;
    this.trouble = trouble;
    this.options.onEvent?.({ type: 'trouble', trouble, message });
  }

  private recovered(): void {
    const t = this.trouble;
    this.trouble = undefined;
    if (t) this.options.onEvent?.({ type: 'recovered', trouble: t });
  }

  private closeDb(): void {
    if (this.meter) {
      this.commitsBefore += this.meter.commits;
      this.writtenBefore += this.meter.bytes;
    }
    try {
      this.db?.close();
    } catch {
      // closing a handle on a failing disk may throw; the handle is gone either way
    }
    this.db = undefined;
    this.stmt = undefined;
    this.meter = undefined;
  }
}
