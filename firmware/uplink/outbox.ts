import { existsSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import type { TimeSource } from '../../drivers/bus/clock.js';
import type { Sample } from '../reading.js';
import { type OpenResult, type OutboxStatements, type StorageTrouble, WriteMeter, classifyStorageError, deleteIds, openOutboxDb, prepareStatements } from './outbox-db.js';
import { type WireSample, toWire } from './payload.js';
import {
  type Batch, type DropCounts, type Entry, type Lane, MemoryQueue, makeBatch, type QueueBounds, type SampleQueue, SeqCounter, type TimeFix, fixTime,
} from './queue.js';

export interface OutboxOptions extends QueueBounds {
  /** the database file, e.g. /var/lib/edgefw/outbox.db */
  readonly path: string;
  readonly boot: number;
  /** samples the memory ring holds while the disk is in trouble */
  readonly ringRows: number;
  /** how often to try the disk again while it is in trouble, ms */
  readonly retryMs: number;
  readonly wallNow?: () => number;
  readonly onEvent?: (e: OutboxEvent) => void;
}

export type OutboxEvent =
  | { readonly type: 'trouble'; readonly trouble: StorageTrouble; readonly message: string }
  | { readonly type: 'recovered'; readonly trouble: StorageTrouble }
  | { readonly type: 'set-aside'; readonly path: string; readonly reason: string };

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
}

interface DbBatch {
  readonly lane: Lane;
  readonly ids: readonly number[];
  readonly bytes: number;
  readonly gen: number;
}

interface Row {
  readonly id: number;
  readonly boot: number;
  readonly mono: number;
  readonly body: string;
  readonly bytes: number;
}

/** A fresh database after the first boot starts sequences here, above anything issued before. */
export const seqBaseFor = (boot: number): number => (boot > 1 ? boot * 2 ** 32 : 0);

const PAGE = 512;

/**
 * The durable outbox (SampleQueue on SQLite), inside the uplink worker. See SampleQueue for the
 * contract. Beyond it:
 * - commit() is one transaction: new rows with their sequences, the per-device counters,
 *   deletion of acknowledged rows, and the bounds. Called every uplink.outbox.commitInterval.
 * - Disk full, read-only or failing: the database is closed, samples (with their sequences) go
 *   to a bounded memory ring and are published from there; every retryMs the file is opened
 *   again and, once a commit succeeds, the ring moves to disk. A corrupt file is renamed aside.
 * - Sequences: read from the database at open; when the database cannot be read at all (new
 *   after corruption, or unreadable), each device starts at boot × 2³², above any number issued
 *   in earlier boots (4 × 10⁹ readings per boot would be needed to reach it).
 */
export class Outbox implements SampleQueue {
  private db: Database.Database | undefined;
  private stmt: OutboxStatements | undefined;
  private meter: WriteMeter | undefined;
  private readonly seqs: SeqCounter;
  private readonly ring: MemoryQueue;
  private readonly batchIds = { next: 1 };
  private buffer: Sample[] = [];
  private readonly inflight = new Map<number, DbBatch>();
  private readonly inflightIds = new Set<number>();
  private readonly acked = new Set<number>();
  private ackedBytes = 0;
  private gen = 0;
  private lastId = 0;
  private boundary = 0;
  private liveCursor = 0;
  private backlogCursor = 0;
  private rows = 0;
  private bytes = 0;
  private committedCount = 0;
  private commitsBefore = 0;
  private writtenBefore = 0;
  private fix: TimeFix | undefined;
  private trouble: StorageTrouble | undefined;
  private nextRetry = 0;
  private closed = false;
  private readonly dropped = { oldest: 0, rejected: 0, expired: 0 };
  private readonly wallNow: () => number;

  constructor(private readonly options: OutboxOptions) {
    this.wallNow = options.wallNow ?? Date.now;
    const opened = this.tryOpen();
    const base = opened && this.stmt ? Number(this.stmt.getMeta.pluck().get('seqBase') ?? 0) : seqBaseFor(options.boot);
    this.seqs = new SeqCounter(base);
    if (this.stmt) for (const r of this.stmt.allSeqs.all() as { dev: string; next: number }[]) this.seqs.atLeast(r.dev, r.next);
    this.ring = new MemoryQueue({
      maxRows: options.ringRows,
      maxBytes: Number.MAX_SAFE_INTEGER,
      maxAgeMs: options.maxAgeMs,
      policy: options.policy,
      boot: options.boot,
      seqs: this.seqs,
      batchIds: this.batchIds,
      wallNow: this.wallNow,
    });
  }

  append(samples: readonly Sample[]): void {
    for (const s of samples) this.buffer.push(s);
  }

  commit(): void {
    const now = this.wallNow();
    const samples = this.buffer;
    this.buffer = [];
    if (!this.db && now >= this.nextRetry) this.tryOpen();
    const fresh: Entry[] = samples.map((s) => ({ id: 0, boot: this.options.boot, mono: s.monoMs, created: now, bytes: 0, wire: toWire(s, this.seqs.take(s.device)), body: '' }));
    if (!this.db) {
      for (const e of fresh) this.ring.push(e.wire, e.mono, now);
      this.ring.commit(); // applies the age bound
      return;
    }
    const moved = this.ring.drainWaiting();
    try {
      this.write([...moved, ...fresh], now);
      if (this.trouble) {
        const t = this.trouble;
        this.trouble = undefined;
        this.options.onEvent?.({ type: 'recovered', trouble: t });
      }
    } catch (e) {
      for (const x of [...moved, ...fresh]) this.ring.push(x.wire, x.mono, x.created, x.boot);
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
    for (const id of b.ids) {
      this.inflightIds.delete(id);
      this.acked.add(id);
    }
    this.ackedBytes += b.bytes;
    this.rows -= b.ids.length;
    this.bytes -= b.bytes;
  }

  release(batchId: number): void {
    if (this.ring.owns(batchId)) return this.ring.release(batchId);
    const b = this.inflight.get(batchId);
    if (!b) return;
    this.inflight.delete(batchId);
    if (b.gen !== this.gen) return;
    for (const id of b.ids) this.inflightIds.delete(id);
    const before = (b.ids[0] ?? 1) - 1;
    if (b.lane === 'live') this.liveCursor = Math.min(this.liveCursor, before);
    else this.backlogCursor = Math.min(this.backlogCursor, before);
  }

  releaseAll(): void {
    this.ring.releaseAll();
    for (const id of [...this.inflight.keys()]) this.release(id);
  }

  splitBacklog(): void {
    this.boundary = this.lastId;
    this.backlogCursor = 0;
    this.liveCursor = this.boundary;
    this.ring.splitBacklog();
  }

  restamp(offsetMs: number, source: TimeSource): void {
    this.fix = { boot: this.options.boot, offsetMs, source };
    this.ring.restamp(offsetMs, source);
    if (!this.db || !this.stmt) return;
    try {
      this.stmt.restamp.run(offsetMs, source, source, this.options.boot);
      this.meter?.afterCommit();
    } catch (e) {
      this.enterTrouble(e, this.wallNow());
    }
  }

  pending(): number {
    return this.rows + this.ring.pending();
  }

  drops(): DropCounts {
    const r = this.ring.drops();
    return { oldest: this.dropped.oldest + r.oldest, rejected: this.dropped.rejected + r.rejected, expired: this.dropped.expired + r.expired };
  }

  sequences(): Record<string, number> {
    return Object.fromEntries(this.seqs.next);
  }

  counters(): OutboxCounters {
    return {
      mode: this.db || (this.closed && !this.trouble) ? 'disk' : 'memory',
      trouble: this.trouble,
      rows: this.rows,
      bytes: this.bytes,
      ringRows: this.ring.pending(),
      commits: this.commitsBefore + (this.meter?.commits ?? 0),
      bytesWritten: this.writtenBefore + (this.meter?.bytes ?? 0),
      committed: this.committedCount,
    };
  }

  /** Commit what is buffered and close the file (graceful stop). */
  close(): void {
    this.commit();
    this.closeDb();
    this.closed = true;
  }

  // ---- disk ----

  private write(entries: readonly Entry[], now: number): void {
    const db = this.db as Database.Database;
    const st = this.stmt as OutboxStatements;
    const o = this.options;
    let rows = this.rows;
    let bytes = this.bytes;
    let lastId = this.lastId;
    let inserted = 0;
    const drop = { oldest: 0, rejected: 0, expired: 0 };
    const ackedNow = [...this.acked];
    const run = db.transaction(() => {
      for (const e of entries) {
        const wire: WireSample = fixTime(e.wire, e.mono, e.boot, this.fix);
        const body = wire === e.wire && e.body !== '' ? e.body : JSON.stringify(wire);
        const b = Buffer.byteLength(body);
        if (o.policy === 'reject-new' && (rows + 1 > o.maxRows || bytes + b > o.maxBytes)) {
          drop.rejected++;
          continue;
        }
        // ids only need to increase within a run (cursors live in memory); giving them here
        // spares AUTOINCREMENT's extra page write per commit
        st.insert.run(++lastId, wire.dev, wire.seq, e.boot, e.mono, wire.tq, e.created, body);
        rows++;
        bytes += b;
        inserted++;
      }
      for (const [dev, next] of this.seqs.next) st.upsertSeq.run(dev, next);
      deleteIds(st, ackedNow);
      // bounds: oldest first, never a row in flight (its PUBACK may still come)
      const victims: number[] = [];
      let after = 0;
      const cutoff = o.maxAgeMs > 0 ? now - o.maxAgeMs : Number.NEGATIVE_INFINITY;
      const acked = new Set(ackedNow);
      scan: for (;;) {
        const page = st.oldest.all(after, PAGE) as { id: number; created: number; bytes: number }[];
        for (const r of page) {
          after = r.id;
          if (this.inflightIds.has(r.id) || acked.has(r.id)) continue;
          if (r.created < cutoff) drop.expired++;
          else if (rows > o.maxRows || bytes > o.maxBytes) drop.oldest++;
          else break scan;
          victims.push(r.id);
          rows--;
          bytes -= r.bytes;
        }
        if (page.length < PAGE) break;
      }
      deleteIds(st, victims);
    });
    run.immediate();
    this.meter?.afterCommit();
    for (const id of ackedNow) this.acked.delete(id);
    this.ackedBytes = 0;
    this.rows = rows;
    this.bytes = bytes;
    this.lastId = lastId;
    this.committedCount += inserted;
    this.dropped.oldest += drop.oldest;
    this.dropped.rejected += drop.rejected;
    this.dropped.expired += drop.expired;
  }

  private takeDb(maxSamples: number, lane: Lane): Batch | undefined {
    const st = this.stmt;
    if (!st) return undefined;
    const hi = lane === 'live' ? Number.MAX_SAFE_INTEGER : this.boundary;
    let cursor = lane === 'live' ? this.liveCursor : this.backlogCursor;
    const rows: Row[] = [];
    let boot: number | undefined;
    let page: Row[];
    // fetch what a batch needs (rows in flight were passed by the cursor, so few are skipped)
    const limit = Math.min(PAGE, maxSamples);
    try {
      outer: do {
        page = st.page.all(cursor, hi, limit) as Row[];
        for (const r of page) {
          if (this.inflightIds.has(r.id) || this.acked.has(r.id)) {
            cursor = r.id;
            continue;
          }
          if (boot !== undefined && r.boot !== boot) break outer;
          boot = r.boot;
          rows.push(r);
          cursor = r.id;
          if (rows.length >= maxSamples) break outer;
        }
      } while (page.length === limit);
    } catch (e) {
      this.enterTrouble(e, this.wallNow());
      return undefined;
    }
    if (lane === 'live') this.liveCursor = cursor;
    else this.backlogCursor = cursor;
    if (rows.length === 0 || boot === undefined) return undefined;
    const id = this.batchIds.next++;
    let bytes = 0;
    const ids = rows.map((r) => {
      this.inflightIds.add(r.id);
      bytes += r.bytes;
      return r.id;
    });
    this.inflight.set(id, { lane, ids, bytes, gen: this.gen });
    // rows on disk already carry re-stamped times (fixed when written, or by restamp's UPDATE)
    return makeBatch(id, boot, lane, rows.map((r) => r.body));
  }

  private tryOpen(): boolean {
    const now = this.wallNow();
    let r: OpenResult;
    try {
      r = openOutboxDb(this.options.path, now);
    } catch (e) {
      this.enterTrouble(e, now);
      return false;
    }
    this.db = r.db;
    this.stmt = prepareStatements(r.db);
    this.meter = new WriteMeter(r.db, this.options.path);
    if (r.created || r.setAside) this.stmt.setMeta.run('seqBase', seqBaseFor(this.options.boot));
    if (r.setAside) {
      this.forgetDb();
      this.options.onEvent?.({ type: 'set-aside', path: r.setAside.path, reason: r.setAside.reason });
    }
    const t = this.stmt.totals.get() as { n: number; bytes: number; last: number };
    let ackedPresent = 0;
    for (const id of this.acked) if (this.stmt.has.get(id)) ackedPresent++;
    this.rows = t.n - ackedPresent;
    this.bytes = t.bytes - (ackedPresent > 0 ? this.ackedBytes : 0);
    this.lastId = Math.max(this.lastId, t.last);
    // trust arrived while the file was closed: re-stamp what it holds of this boot now
    if (this.fix) this.stmt.restamp.run(this.fix.offsetMs, this.fix.source, this.fix.source, this.options.boot);
    return true;
  }

  /** Rows of the old file are gone (set aside): forget cursors and in-flight state about them. */
  private forgetDb(): void {
    this.gen++;
    this.inflight.clear();
    this.inflightIds.clear();
    this.acked.clear();
    this.ackedBytes = 0;
    this.lastId = 0;
    this.boundary = 0;
    this.liveCursor = 0;
    this.backlogCursor = 0;
  }

  private enterTrouble(e: unknown, now: number): void {
    const trouble = classifyStorageError(e, dirname(this.options.path));
    this.closeDb();
    if (trouble === 'corrupt') {
      // the file went bad under us: keep it for inspection and start a new one
      const aside = `${this.options.path}.corrupt-${now}`;
      try {
        for (const suffix of ['', '-wal', '-shm']) if (existsSync(this.options.path + suffix)) renameSync(this.options.path + suffix, aside + suffix);
        this.forgetDb();
        this.options.onEvent?.({ type: 'set-aside', path: aside, reason: (e as Error).message });
      } catch {
        // rename failed too: stay in memory and retry later
      }
    }
    this.nextRetry = now + this.options.retryMs;
    if (this.trouble !== trouble) {
      this.trouble = trouble;
      this.options.onEvent?.({ type: 'trouble', trouble, message: (e as Error).message });
    }
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
