import { existsSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import type { TimeSource } from '../../drivers/bus/clock.js';
import type { Sample } from '../reading.js';
import { type OpenResult, type OutboxStatements, type StorageTrouble, WriteMeter, classifyStorageError, deleteIds, openOutboxDb, prepareStatements } from './outbox-db.js';
import { At, RowState, SEP } from './outbox-rows.js';
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
  /** readings stored per row at most: a message's worth (uplink.batch.maxSamples), default 200 */
  readonly rowSamples?: number;
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

/** Part of a batch: a whole stored row, or some readings of a loaded row. */
type Part = { readonly row: number; readonly n: number; readonly bytes: number; readonly idx?: readonly number[] };

interface DbBatch {
  readonly lane: Lane;
  readonly parts: readonly Part[];
  readonly gen: number;
}

interface RowHead {
  readonly id: number;
  readonly boot: number;
  readonly n: number;
  readonly bytes: number;
}

/** A fresh database after the first boot starts sequences here, above anything issued before. */
export const seqBaseFor = (boot: number): number => (boot > 1 ? boot * 2 ** 32 : 0);

const PAGE = 512;
/** rows a take reads per statement (a row usually fills a message) */
const TAKE_PAGE = 16;

/**
 * The durable outbox (SampleQueue on SQLite), inside the uplink worker. See SampleQueue for the
 * contract. Beyond it:
 * - commit() is one transaction: new rows with their sequences, the per-device counters,
 *   deletion of acknowledged rows, and the bounds. Called every uplink.outbox.commitInterval.
 * - Readings are stored in rows of up to `rowSamples` readings (one message's worth) of one boot
 *   and one commit, so a message normally reads, publishes and deletes one row. A take that wants
 *   fewer readings than a row holds, or a bound that cuts through a row, splits it (RowState);
 *   bounds count readings, never rows (a bound that cuts through a row rewrites the row without
 *   the readings it drops). A split row is rewritten at the next commit without its acknowledged
 *   readings, and deleted when none is left: what was acknowledged before a commit never comes
 *   back after a restart, exactly as for whole rows.
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
  /** rows wholly in flight */
  private readonly inflightRows = new Set<number>();
  /** rows split into readings (some taken, acknowledged or dropped) */
  private readonly loaded = new Map<number, RowState>();
  /** rows every reading of which is acknowledged: deleted at the next commit; n, bytes = what of them is still on disk */
  private readonly acked = new Map<number, { readonly n: number; readonly bytes: number }>();
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
  private readonly rowSamples: number;

  constructor(private readonly options: OutboxOptions) {
    this.wallNow = options.wallNow ?? Date.now;
    this.rowSamples = Math.max(1, options.rowSamples ?? 200);
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
    for (const p of b.parts) {
      this.rows -= p.n;
      this.bytes -= p.bytes;
      if (!p.idx) {
        this.inflightRows.delete(p.row);
        this.acked.set(p.row, { n: p.n, bytes: p.bytes });
        continue;
      }
      const r = this.loaded.get(p.row);
      if (!r) continue;
      for (const i of p.idx) r.state[i] = At.Acked;
      r.ackedN += p.n;
      r.ackedBytes += p.bytes;
      r.dirty = true;
      if (r.done()) {
        this.loaded.delete(p.row);
        this.acked.set(p.row, { n: r.ackedN, bytes: r.ackedBytes });
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
      if (!p.idx) this.inflightRows.delete(p.row);
      else {
        const r = this.loaded.get(p.row);
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
      this.restampDb(this.db, this.stmt, this.fix);
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
    const ackedNow = [...this.acked.keys()];
    // split rows: their states before the bounds touched them (restored if the commit fails),
    // and those written in the transaction
    const saved = new Map<number, Uint8Array>();
    const written: RowState[] = [];
    const run = db.transaction(() => {
      // rows: consecutive readings of one boot and one storage time, rowSamples at most
      let chunk: { boot: number; created: number; bodies: string[]; monos: number[]; untrusted: number; bytes: number } | undefined;
      const flush = (): void => {
        if (!chunk || chunk.bodies.length === 0) return;
        // ids only need to increase within a run (cursors live in memory); giving them here
        // spares AUTOINCREMENT's extra page write per commit
        st.insert.run(++lastId, chunk.boot, chunk.bodies.length, chunk.created, chunk.bytes, chunk.untrusted, chunk.untrusted > 0 ? JSON.stringify(chunk.monos) : null, chunk.bodies.join(SEP));
        chunk = undefined;
      };
      for (const e of entries) {
        const wire: WireSample = fixTime(e.wire, e.mono, e.boot, this.fix);
        const body = wire === e.wire && e.body !== '' ? e.body : JSON.stringify(wire);
        const b = Buffer.byteLength(body);
        if (o.policy === 'reject-new' && (rows + 1 > o.maxRows || bytes + b > o.maxBytes)) {
          drop.rejected++;
          continue;
        }
        if (chunk && (chunk.boot !== e.boot || chunk.created !== e.created || chunk.bodies.length >= this.rowSamples)) flush();
        chunk ??= { boot: e.boot, created: e.created, bodies: [], monos: [], untrusted: 0, bytes: 0 };
        chunk.bodies.push(body);
        chunk.monos.push(e.mono);
        if (wire.tq === 'none') chunk.untrusted++;
        chunk.bytes += b;
        rows++;
        bytes += b;
        inserted++;
      }
      flush();
      for (const [dev, next] of this.seqs.next) st.upsertSeq.run(dev, next);
      deleteIds(st, ackedNow);
      // bounds: oldest readings first, never one in flight (its PUBACK may still come)
      const cutoff = o.maxAgeMs > 0 ? now - o.maxAgeMs : Number.NEGATIVE_INFINITY;
      const over = (): boolean => rows > o.maxRows || bytes > o.maxBytes;
      const victims: number[] = [];
      let after = 0;
      scan: for (;;) {
        if (!over() && o.maxAgeMs <= 0) break;
        const page = st.oldest.all(after, PAGE) as { id: number; created: number; n: number; bytes: number }[];
        for (const r of page) {
          after = r.id;
          if (this.inflightRows.has(r.id) || this.acked.has(r.id)) continue;
          const expired = r.created < cutoff;
          if (!expired && !over()) break scan;
          const loaded = this.loaded.get(r.id);
          // the whole row goes when it expired, or when its last reading is needed too (without the row
          // the bounds are still reached)
          if (!loaded && (expired || rows - r.n >= o.maxRows || bytes - r.bytes >= o.maxBytes)) {
            if (expired) drop.expired += r.n;
            else drop.oldest += r.n;
            victims.push(r.id);
            rows -= r.n;
            bytes -= r.bytes;
            continue;
          }
          // a bound cuts through the row, or some of its readings are in flight: reading by reading
          const row = loaded ?? RowState.load(st, r.id, 0);
          if (!row) continue;
          if (loaded && !saved.has(r.id)) saved.set(r.id, loaded.state.slice());
          for (let i = 0; i < row.state.length && (expired || over()); i++) {
            if (row.state[i] !== At.Waiting) continue;
            row.state[i] = At.Dropped;
            if (expired) drop.expired++;
            else drop.oldest++;
            rows--;
            bytes -= row.bytes[i] as number;
            row.dirty = true;
          }
          if (!loaded) {
            if (row.done()) victims.push(r.id);
            else row.rewrite(st);
          }
        }
        if (page.length < PAGE) break;
      }
      // split rows: off the disk go their acknowledged and dropped readings, or the whole row
      for (const row of this.loaded.values()) {
        if (!row.dirty) continue;
        if (row.done()) victims.push(row.id);
        else row.rewrite(st);
        written.push(row);
      }
      deleteIds(st, victims);
    });
    try {
      run.immediate();
    } catch (e) {
      for (const [id, state] of saved) this.loaded.get(id)?.state.set(state);
      throw e;
    }
    this.meter?.afterCommit();
    for (const id of ackedNow) this.acked.delete(id);
    for (const row of written) {
      row.settled();
      if (row.done()) this.loaded.delete(row.id); // deleted above
    }
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
    const parts: Part[] = [];
    const fragments: string[] = [];
    let count = 0;
    let boot: number | undefined;
    let page: RowHead[];
    const loadedNow: RowState[] = [];
    try {
      outer: do {
        page = st.page.all(cursor, hi, TAKE_PAGE) as RowHead[];
        for (const r of page) {
          if (this.inflightRows.has(r.id) || this.acked.has(r.id)) {
            cursor = r.id;
            continue;
          }
          if (boot !== undefined && r.boot !== boot) break outer;
          let row = this.loaded.get(r.id);
          if (!row && r.n <= maxSamples - count) {
            // the whole row, as stored
            const body = st.rowBody.get(r.id) as string;
            boot = r.boot;
            parts.push({ row: r.id, n: r.n, bytes: r.bytes });
            fragments.push(body.replaceAll(SEP, ','));
            count += r.n;
            cursor = r.id;
            if (count >= maxSamples) break outer;
            continue;
          }
          row ??= RowState.load(st, r.id, r.boot);
          if (!row) continue;
          if (!this.loaded.has(r.id)) loadedNow.push(row);
          const idx: number[] = [];
          let b = 0;
          let i = 0;
          for (; i < row.state.length && count + idx.length < maxSamples; i++) {
            if (row.state[i] !== At.Waiting) continue;
            idx.push(i);
            b += row.bytes[i] as number;
          }
          const waitingLeft = row.state.indexOf(At.Waiting, i) >= 0;
          if (idx.length > 0) {
            boot = r.boot;
            parts.push({ row: r.id, n: idx.length, bytes: b, idx });
            fragments.push(idx.map((i) => row.bodies[i]).join(','));
            count += idx.length;
          }
          if (waitingLeft) break outer; // the batch is full; the rest of this row comes next
          cursor = r.id;
          if (count >= maxSamples) break outer;
        }
      } while (page.length === TAKE_PAGE);
    } catch (e) {
      this.enterTrouble(e, this.wallNow());
      return undefined;
    }
    if (lane === 'live') this.liveCursor = cursor;
    else this.backlogCursor = cursor;
    if (parts.length === 0 || boot === undefined) return undefined;
    for (const row of loadedNow) this.loaded.set(row.id, row);
    for (const p of parts) {
      if (!p.idx) this.inflightRows.add(p.row);
      else {
        const row = this.loaded.get(p.row) as RowState;
        for (const i of p.idx) row.state[i] = At.InFlight;
      }
    }
    const id = this.batchIds.next++;
    this.inflight.set(id, { lane, parts, gen: this.gen });
    // rows on disk already carry re-stamped times (fixed when written, or by restamp)
    return makeBatch(id, boot, lane, fragments, count);
  }

  /** Re-stamp, on disk and in loaded rows, the readings of this boot read with an untrusted clock. */
  private restampDb(db: Database.Database, st: OutboxStatements, fix: TimeFix): void {
    for (const row of this.loaded.values()) if (row.boot === fix.boot) row.restamp(fix);
    const written: RowState[] = [];
    db.transaction(() => {
      for (const id of st.untrusted.all(fix.boot) as number[]) {
        const row = this.loaded.get(id) ?? RowState.load(st, id, fix.boot);
        if (!row) continue;
        if (this.loaded.has(id)) written.push(row);
        else row.restamp(fix);
        row.rewrite(st);
      }
    }).immediate();
    for (const row of written) row.settled();
    this.meter?.afterCommit();
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
    // acknowledged readings still on disk are not pending
    let ackedN = 0;
    let ackedBytes = 0;
    for (const [id, a] of this.acked) {
      if (!this.stmt.has.get(id)) continue;
      ackedN += a.n;
      ackedBytes += a.bytes;
    }
    for (const row of this.loaded.values()) {
      ackedN += row.ackedN;
      ackedBytes += row.ackedBytes;
    }
    this.rows = t.n - ackedN;
    this.bytes = t.bytes - ackedBytes;
    this.lastId = Math.max(this.lastId, t.last);
    // trust arrived while the file was closed: re-stamp what it holds of this boot now
    if (this.fix) this.restampDb(r.db, this.stmt, this.fix);
    return true;
  }

  /** Rows of the old file are gone (set aside): forget cursors and in-flight state about them. */
  private forgetDb(): void {
    this.gen++;
    this.inflight.clear();
    this.inflightRows.clear();
    this.loaded.clear();
    this.acked.clear();
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
