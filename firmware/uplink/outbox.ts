import { randomUUID } from 'node:crypto';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import type { TimeSource } from '../../drivers/bus/clock.js';
import type { Sample } from '../reading.js';
import { type OutboxStatements, type StorageTrouble, classifyStorageError, openOutboxDb, prepareStatements } from './outbox-db.js';
import { type SeqSkip, SeqAllocator, type SkipReason } from './outbox-seqs.js';
import { HEADROOM_BYTES, RESUME_BYTES, Spare, WriteMeter, freeBytes } from './outbox-space.js';
import { StoredRows } from './outbox-disk.js';
import { checkWal } from './outbox-wal.js';
import { At, RowState } from './outbox-rows.js';
import { writeCommit } from './outbox-write.js';
import { type WireSample, toWire } from './payload.js';
import { type Batch, type DropCounts, type Entry, type Lane, MemoryQueue, type SampleQueue, type TimeFix, fixTime } from './queue.js';
import { setAside, type StartState, adoptFile, markClean, reserve } from './outbox-start.js';
import { type OutboxCounters, type OutboxOptions, ZERO, add, sub } from './outbox-types.js';

export type { OutboxCounters, OutboxEvent, OutboxOptions } from './outbox-types.js';

const SKIPS_REPORTED = 16;

/**
 * The durable outbox (SampleQueue on SQLite), inside the uplink worker. See SampleQueue for the
 * contract. Beyond it:
 * - commit() is one transaction (outbox-write.ts): new rows with their sequences, the per-device
 *   counters, deletion of acknowledged rows, the bounds and the drop counters they moved.
 * - Readings are stored in rows of up to `rowSamples` readings (outbox-rows.ts); what is taken,
 *   acknowledged or split is tracked by StoredRows (outbox-disk.ts, outbox-take.ts).
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
  /** what the file holds, what of it is in flight, acknowledged or split */
  private readonly rows: StoredRows;
  private readonly start: StartState;
  private committedCount = 0;
  /** readings of damaged rows that could not be kept, counted in the file (all starts) */
  private damagedCount = 0;
  /** readings refused by reject-new when handed over, not yet counted in the file */
  private rejected = 0;
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
    this.rows = new StoredRows(this.batchIds);
    this.rows.onDamage = (d, lost) => {
      this.damagedCount += lost;
      this.options.onEvent?.({ type: 'damaged', path: this.options.path, row: d.id, boot: d.boot, reason: d.reason, lost, kept: d.good.length });
    };
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

  /**
   * Number and encode what was appended, once, into fresh rows that are takeable at once and
   * published from memory; the next commit stores what of them is still unacknowledged. Only while
   * the file takes writes and its reservations cover the numbers: otherwise the readings wait for
   * commit(), which puts them in the memory ring.
   */
  stage(): void {
    if (this.buffer.length === 0 || !this.db || this.trouble !== undefined) return;
    const now = this.wallNow();
    const samples = this.buffer;
    this.reserveFor(samples, now);
    if (!this.db || this.trouble !== undefined) return; // the reservation failed: commit() handles them
    this.buffer = [];
    const o = this.options;
    const d = this.rows.disk;
    const made: RowState[] = [];
    let bodies: string[] = [];
    let bytes: number[] = [];
    let monos: number[] = [];
    let untrusted = 0;
    const cut = (): void => {
      if (bodies.length === 0) return;
      made.push(RowState.fresh(this.rows.nextId(), this.options.boot, this.bootId, now, bodies, bytes, untrusted > 0 ? monos : null));
      bodies = [];
      bytes = [];
      monos = [];
      untrusted = 0;
    };
    let rows = d.rows;
    let held = d.bytes;
    for (const s of samples) {
      const wire = fixTime(toWire(s, this.number(s.device, now)), s.monoMs, this.options.boot, this.fix);
      const body = JSON.stringify(wire);
      const b = Buffer.byteLength(body);
      // reject-new: the number is consumed and the refusal counted (durably at the next commit)
      if (o.policy === 'reject-new' && (rows + 1 > o.maxRows || held + b > o.maxBytes)) {
        this.rejected++;
        continue;
      }
      rows++;
      held += b;
      bodies.push(body);
      bytes.push(b);
      monos.push(s.monoMs); // kept only for rows with a reading to re-stamp
      if (wire.tq === 'none') untrusted++;
      if (bodies.length >= this.rowSamples) cut();
    }
    cut();
    this.rows.stage(made);
  }

  commit(): void {
    this.stage();
    const now = this.wallNow();
    const samples = this.buffer;
    this.buffer = [];
    if (!this.db && now >= this.nextRetry) this.open();
    if (this.db && samples.length > 0) this.reserveFor(samples, now);
    const fresh: Entry[] = samples.map((s) => ({
      id: 0, boot: this.options.boot, bootId: this.bootId, mono: s.monoMs, created: now, bytes: 0, wire: toWire(s, this.number(s.device, now)), body: '',
    }));
    const toRing = (): void => {
      this.freshToRing();
      for (const e of fresh) this.ring.push(e.wire, e.mono, e.created, e.boot, e.bootId);
      this.ring.commit(); // applies the age bound
    };
    if (!this.db) return toRing();
    if (!this.roomFor(now, fresh.length + this.rows.disk.fresh.length * this.rowSamples)) {
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
    if (this.ring.owns(batchId)) this.ring.ack(batchId);
    else this.rows.ack(batchId);
  }

  release(batchId: number): void {
    if (this.ring.owns(batchId)) this.ring.release(batchId);
    else this.rows.release(batchId);
  }

  releaseAll(): void {
    this.ring.releaseAll();
    this.rows.releaseAll();
  }

  splitBacklog(): void {
    this.rows.splitBacklog();
    this.ring.splitBacklog();
  }

  restamp(offsetMs: number, source: TimeSource): void {
    this.fix = { boot: this.options.boot, offsetMs, source };
    this.ring.restamp(offsetMs, source);
    if (!this.db || !this.stmt) return;
    try {
      this.rows.restamp(this.db, this.stmt, this.fix, this.bootId);
      this.meter?.afterCommit();
    } catch (e) {
      this.enterTrouble(e, this.wallNow());
    }
  }

  pending(): number {
    return this.rows.disk.rows + this.ring.pending();
  }

  /** Every drop: those counted in the file (all starts) and the memory ring's of this start. */
  drops(): DropCounts {
    return add(add(this.durable, sub(this.ring.drops(), this.carried)), { oldest: 0, rejected: this.rejected, expired: 0 });
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
      rows: this.rows.disk.rows,
      bytes: this.rows.disk.bytes,
      ringRows: this.ring.pending(),
      commits: this.commitsBefore + (this.meter?.commits ?? 0),
      bytesWritten: this.writtenBefore + (this.meter?.bytes ?? 0),
      committed: this.committedCount,
      walBytes: this.meter?.walBytes() ?? 0,
      dropped: this.durable,
      fileId: this.fileId,
      memoryDropped: r.oldest + r.rejected + r.expired + this.rejected,
      discarded: this.discarded,
      damaged: this.damagedCount,
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
    // fresh rows the disk did not take (it failed under the last commit) are lost with the memory
    const left = this.ring.pending() + this.unstored();
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
    const before = this.alloc.skips.length;
    let s = this.alloc.take(dev);
    if (s === undefined) {
      this.alloc.jump('reservation-spent', now);
      s = this.alloc.take(dev) as number;
    }
    this.announce(before);
    return s;
  }

  private jump(reason: SkipReason, now: number, floor = 0): void {
    const before = this.alloc.skips.length;
    this.alloc.jump(reason, now, floor);
    this.announce(before);
  }

  /** Tell about the skips made since there were `before`. */
  private announce(before: number): void {
    for (const s of this.alloc.skips.slice(before)) this.options.onEvent?.({ type: 'skip', skip: s });
  }

  /** Before numbering `samples`: extend the reservations that would come too close, reserve for devices new to the file. */
  private reserveFor(samples: readonly Sample[], now: number): void {
    const before = this.alloc.skips.length;
    const want = this.alloc.demand(samples.map((s) => s.device));
    this.announce(before);
    this.reserveNow(want, now);
  }

  private reserveNow(want: ReadonlyMap<string, number>, now: number): void {
    const db = this.db;
    const st = this.stmt;
    if (!db || !st || !this.meter) return;
    const wasUnreserved = this.alloc.unreserved;
    try {
      if (!reserve(db, st, this.alloc, want, this.ring.lowestSeqs(), this.meter, this.fileId, this.spare)) return;
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
    const d = this.rows.disk;
    const o = this.options;
    const work = d.acked.size > 0 || d.rows > o.maxRows || d.bytes > o.maxBytes || [...d.loaded.values()].some((r) => r.dirty);
    if (!work) return;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        this.write([], now, false);
        return;
      } catch (e) {
        if (classifyStorageError(e) !== 'full' || !this.spare.release()) return; // the next commit tries again
      }
    }
  }

  private write(entries: readonly Entry[], now: number, storeFresh = true): void {
    const db = this.db as Database.Database;
    const st = this.stmt as OutboxStatements;
    const d = this.rows.disk;
    const o = this.options;
    const carried = this.ring.pending() === 0 ? sub(this.ring.drops(), this.carried) : ZERO;
    const skips = [...this.alloc.pendingSkips];
    const rejected = this.rejected;
    // fresh rows the broker has every reading of are done with (acknowledged before this commit)
    if (d.fresh.some((r) => r.done())) d.fresh = d.fresh.filter((r) => !r.done());
    // nothing to store, delete, count or bound: no transaction (readings the broker acknowledged
    // before this commit never touch the disk, and the counters follow at the next write)
    const idle = entries.length === 0 && (!storeFresh || d.fresh.length === 0) && d.acked.size === 0 && skips.length === 0 && rejected === 0 &&
      carried.oldest + carried.rejected + carried.expired === 0 && d.rows <= o.maxRows && d.bytes <= o.maxBytes && (o.maxAgeMs <= 0 || d.rows === 0) &&
      ![...d.loaded.values()].some((r) => r.dirty && r.onDisk);
    if (idle) {
      this.settled();
      return;
    }
    // a device's stored counter stays at or below the numbers the memory ring still holds or
    // dropped uncounted, and those of fresh rows this write does not store
    const low = this.ring.lowestSeqs();
    if (!storeFresh) for (const [dev, seq] of freshLows(d.fresh)) if (seq < (low.get(dev) ?? Number.POSITIVE_INFINITY)) low.set(dev, seq);
    const seqs = [...this.alloc.next].map(([dev, next]) => [dev, Math.min(next, low.get(dev) ?? next), this.alloc.limit(dev)] as const);
    const r = writeCommit(db, st, d, {
      entries, storeFresh, now, bounds: o, rowSamples: this.rowSamples, fix: this.fix, seqs, skips, dropsBefore: this.durable,
      dropsCarried: add(carried, { oldest: 0, rejected, expired: 0 }),
    });
    this.rejected -= rejected;
    this.alloc.skipsSaved(skips.length);
    this.durable = add(add(add(this.durable, r.dropped), carried), { oldest: 0, rejected, expired: 0 });
    this.carried = add(this.carried, carried);
    if (this.ring.pending() === 0) this.ring.forgetDropped();
    this.committedCount += r.inserted;
    this.settled();
    this.meter?.afterCommit(d.rows === 0);
  }

  /**
   * The disk cannot take the fresh rows now: what of them waits goes to the memory ring (bounded,
   * counted, moved to disk when it returns), like readings handed over during disk trouble. What
   * is in flight stays until the broker answers (a released reading comes here at the next commit).
   */
  private freshToRing(): void {
    const d = this.rows.disk;
    if (d.fresh.length === 0) return;
    for (const row of d.fresh) {
      for (let i = 0; i < row.state.length; i++) {
        if (row.state[i] !== At.Waiting) continue;
        row.state[i] = At.Acked; // gone from the row: the ring holds it now
        d.rows--;
        d.bytes -= row.bytes[i] as number;
        this.ring.push(JSON.parse(row.bodies[i] as string) as WireSample, row.monos?.[i] ?? 0, row.created, row.boot, row.bootId);
      }
      if (row.done()) d.loaded.delete(row.id);
    }
    d.fresh = d.fresh.filter((r) => !r.done());
  }

  /** A commit went through: the readings acknowledged from memory before it are safe too. */
  private settled(): void {
    this.committedCount += this.rows.ackedFresh;
    this.rows.ackedFresh = 0;
  }

  /** Readings of fresh rows not acknowledged (in memory only). */
  private unstored(): number {
    let n = 0;
    for (const row of this.rows.disk.fresh) n += row.kept().length;
    return n;
  }

  private takeDb(maxSamples: number, lane: Lane): Batch | undefined {
    const st = this.stmt;
    if (!st || !this.db) return undefined;
    try {
      return this.rows.take(this.db, st, maxSamples, lane, this.wallNow());
    } catch (e) {
      this.enterTrouble(e, this.wallNow());
      return undefined;
    }
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
      this.rows.forget();
      this.options.onEvent?.({ type: 'set-aside', path: r.setAside.path, reason: r.setAside.reason });
    }
    try {
      const before = this.alloc.skips.length;
      const found = adoptFile(this.stmt, this.alloc, this.start, { setAside: r.setAside !== undefined, wal, now }, (reason) => this.alloc.jump(reason, now));
      for (const s of this.alloc.skips.slice(before)) this.options.onEvent?.({ type: 'skip', skip: s });
      // a different file (set aside, lost): the ring's drops so far belong to the range it abandoned
      if (this.fileId !== 0 && found.fileId !== this.fileId) this.carried = this.ring.drops();
      this.durable = found.drops;
      this.damagedCount = (this.stmt.getMeta.get('damaged') as { value: number } | undefined)?.value ?? 0;
      this.fileSkips = found.skips;
      this.fileId = found.fileId;
      this.reserveNow(new Map(), now);
      // nothing could be reserved at start: this start's numbers must not collide with any later one's
      if (!this.start.owns && !this.alloc.jumped) this.jump('unwritable', now);
      if (!this.db || !this.stmt) return false;
      this.rows.loadTotals(this.stmt);
      // trust arrived while the file was closed: re-stamp what it holds of this boot now
      if (this.fix) {
        this.rows.restamp(r.db, this.stmt, this.fix, this.bootId);
        this.meter.afterCommit();
      }
    } catch (e) {
      this.enterTrouble(e, now);
      return false;
    }
    return true;
  }

  private enterTrouble(e: unknown, now: number): void {
    const trouble = classifyStorageError(e, dirname(this.options.path));
    // a full disk stays open: what it holds is still sent, deleted, checkpointed and vacuumed
    if (trouble !== 'full') this.closeDb();
    if (trouble === 'corrupt' && setAside(this.options.path, now, (path) => this.options.onEvent?.({ type: 'set-aside', path, reason: (e as Error).message }))) {
      this.rows.forget();
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

/** Lowest sequence per device in fresh rows (rare: only while the disk is full and rows wait in memory). */
function freshLows(fresh: readonly RowState[]): Map<string, number> {
  const low = new Map<string, number>();
  for (const row of fresh) {
    for (const i of row.kept()) {
      const w = JSON.parse(row.bodies[i] as string) as WireSample;
      if (w.seq < (low.get(w.dev) ?? Number.POSITIVE_INFINITY)) low.set(w.dev, w.seq);
    }
  }
  return low;
}
