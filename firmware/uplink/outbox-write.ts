import type Database from 'better-sqlite3';
import { type OutboxStatements, deleteIds } from './outbox-db.js';
import { isDamage } from './outbox-damage.js';
import { At, RowState, SEP } from './outbox-rows.js';
import type { SeqSkip } from './outbox-seqs.js';
import type { WireSample } from './payload.js';
import { type DropCounts, type Entry, type QueueBounds, type TimeFix, fixTime } from './queue.js';

const PAGE = 512;

/** What the outbox holds in memory about its file, shared by the write and take paths. */
export interface DiskRows {
  /** rows wholly in flight */
  readonly inflightRows: Set<number>;
  /** rows split into readings (some taken, acknowledged or dropped) */
  readonly loaded: Map<number, RowState>;
  /** rows every reading of which is acknowledged: deleted at the next commit; n, bytes = what of them is still on disk */
  readonly acked: Map<number, { readonly n: number; readonly bytes: number }>;
  /**
   * fresh rows (also in `loaded`): handed over, numbered, published from memory, not in the file
   * yet; in id order, every id above those in the file
   */
  fresh: RowState[];
  /** readings and bytes held (stored or fresh) and not acknowledged */
  rows: number;
  bytes: number;
  /** the last row id given (to a fresh row or a stored one) */
  lastId: number;
  /** the highest row id in the file (a take reads the file only past its cursor up to here) */
  storedLast: number;
}

export interface WriteInput {
  readonly entries: readonly Entry[];
  /** store the fresh rows (what of them is unacknowledged); false while the disk is full */
  readonly storeFresh: boolean;
  readonly now: number;
  readonly bounds: QueueBounds;
  readonly rowSamples: number;
  readonly fix: TimeFix | undefined;
  /** per-device counters to store: [dev, next, reservation it was numbered under] */
  readonly seqs: readonly (readonly [string, number, number])[];
  /** skips not yet on disk */
  readonly skips: readonly SeqSkip[];
  /** drop counters to store (durable totals, before this commit's drops) */
  readonly dropsBefore: DropCounts;
  /** drops made elsewhere (the memory ring) that become durable with this commit */
  readonly dropsCarried: DropCounts;
}

export interface WriteResult {
  readonly inserted: number;
  /** drops made by this commit's bounds */
  readonly dropped: DropCounts;
}

const DROP_KEYS = { oldest: 'dropOldest', rejected: 'dropRejected', expired: 'dropExpired' } as const;

/**
 * One commit, one transaction: the new rows, the per-device counters, the skips, deletion of what
 * the broker acknowledged, the bounds, and the drop counters the bounds moved, so that a kill -9
 * at any instant leaves a file where every number below a device's counter is stored, was
 * acknowledged, or is counted as dropped.
 */
export function writeCommit(db: Database.Database, st: OutboxStatements, disk: DiskRows, w: WriteInput): WriteResult {
  const o = w.bounds;
  let rows = disk.rows;
  let bytes = disk.bytes;
  let lastId = disk.lastId;
  let inserted = 0;
  const drop = { oldest: 0, rejected: 0, expired: 0 };
  const ackedNow = [...disk.acked.keys()];
  // split rows: their states before the bounds touched them (restored if the commit fails),
  // and those written in the transaction
  const saved = new Map<number, Uint8Array>();
  const written: RowState[] = [];
  // fresh rows stored by this commit, with what they knew before (restored if the commit fails)
  const stored: { row: RowState; dirty: boolean; ackedN: number; ackedBytes: number }[] = [];
  const run = db.transaction(() => {
    // fresh rows first (their ids are below those given to entries below): what of them the
    // broker has not acknowledged yet; what it has never reaches the disk
    if (w.storeFresh) {
      for (const row of disk.fresh) {
        if (row.done()) continue;
        stored.push({ row, dirty: row.dirty, ackedN: row.ackedN, ackedBytes: row.ackedBytes });
        inserted += row.insert(st).n;
        row.settled();
      }
    }
    // rows: consecutive readings of one boot and one storage time, rowSamples at most
    let chunk: { boot: number; bid: string; created: number; bodies: string[]; monos: number[]; untrusted: number; bytes: number } | undefined;
    const flush = (): void => {
      if (!chunk || chunk.bodies.length === 0) return;
      // ids only need to increase within a run (cursors live in memory); giving them here
      // spares AUTOINCREMENT's extra page write per commit
      st.insert.run(++lastId, chunk.boot, chunk.bid, chunk.bodies.length, chunk.created, chunk.bytes, chunk.untrusted, chunk.untrusted > 0 ? JSON.stringify(chunk.monos) : null, chunk.bodies.join(SEP));
      chunk = undefined;
    };
    for (const e of w.entries) {
      const wire: WireSample = fixTime(e.wire, e.mono, e.boot, w.fix);
      const body = wire === e.wire && e.body !== '' ? e.body : JSON.stringify(wire);
      const b = Buffer.byteLength(body);
      if (o.policy === 'reject-new' && (rows + 1 > o.maxRows || bytes + b > o.maxBytes)) {
        drop.rejected++;
        continue;
      }
      if (chunk && (chunk.boot !== e.boot || chunk.bid !== e.bootId || chunk.created !== e.created || chunk.bodies.length >= w.rowSamples)) flush();
      chunk ??= { boot: e.boot, bid: e.bootId, created: e.created, bodies: [], monos: [], untrusted: 0, bytes: 0 };
      chunk.bodies.push(body);
      chunk.monos.push(e.mono);
      if (wire.tq === 'none') chunk.untrusted++;
      chunk.bytes += b;
      rows++;
      bytes += b;
      inserted++;
    }
    flush();
    for (const [dev, next, reserved] of w.seqs) st.putNext.run(dev, next, reserved);
    for (const s of w.skips) st.insertSkip.run(s.boot, s.bootId, s.at, s.dev, s.from, s.to, s.reason);
    deleteIds(st, ackedNow);
    // bounds: oldest readings first, never one in flight (its PUBACK may still come)
    const cutoff = o.maxAgeMs > 0 ? w.now - o.maxAgeMs : Number.NEGATIVE_INFINITY;
    const over = (): boolean => rows > o.maxRows || bytes > o.maxBytes;
    const victims: number[] = [];
    let after = 0;
    scan: for (;;) {
      if (!over() && o.maxAgeMs <= 0) break;
      const page = st.oldest.all(after, PAGE) as { id: number; created: number; n: number; bytes: number }[];
      for (const r of page) {
        after = r.id;
        if (disk.inflightRows.has(r.id) || disk.acked.has(r.id)) continue;
        const expired = r.created < cutoff;
        if (!expired && !over()) break scan;
        const loaded = disk.loaded.get(r.id);
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
        const found = loaded ?? RowState.load(st, r.id, 0, null);
        if (!found || isDamage(found)) continue; // a damaged row is set aside when a take meets it
        const row = found;
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
    const storedNow = new Set(stored.map((x) => x.row));
    for (const row of disk.loaded.values()) {
      if (!row.dirty || (!row.onDisk && !storedNow.has(row))) continue;
      if (row.done()) victims.push(row.id);
      else row.rewrite(st);
      written.push(row);
    }
    deleteIds(st, victims);
    // drop counters, in the transaction that removed (or refused) the readings
    for (const k of ['oldest', 'rejected', 'expired'] as const) {
      const add = drop[k] + w.dropsCarried[k];
      if (add > 0) st.setMeta.run(DROP_KEYS[k], w.dropsBefore[k] + add);
    }
  });
  try {
    run.immediate();
  } catch (e) {
    for (const [id, state] of saved) disk.loaded.get(id)?.state.set(state);
    for (const s of stored) Object.assign(s.row, { dirty: s.dirty, ackedN: s.ackedN, ackedBytes: s.ackedBytes });
    throw e;
  }
  if (w.storeFresh) {
    const storedNow = new Set(stored.map((x) => x.row));
    disk.fresh = disk.fresh.filter((r) => !storedNow.has(r) && !r.done());
    for (const { row } of stored) {
      row.onDisk = true;
      disk.storedLast = Math.max(disk.storedLast, row.id);
      // a row nothing of which was taken is read back from the file like any stored row
      if (row.untouched() && disk.loaded.get(row.id) === row) disk.loaded.delete(row.id);
    }
  }
  for (const id of ackedNow) disk.acked.delete(id);
  for (const row of written) {
    row.settled();
    if (row.done()) disk.loaded.delete(row.id); // deleted above
  }
  disk.rows = rows;
  disk.bytes = bytes;
  disk.lastId = lastId;
  if (w.entries.length > 0) disk.storedLast = Math.max(disk.storedLast, lastId);
  return { inserted, dropped: drop };
}

/** Durable drop counters stored in the file's meta table. */
export function storedDrops(meta: ReadonlyMap<string, number>): DropCounts {
  return { oldest: meta.get(DROP_KEYS.oldest) ?? 0, rejected: meta.get(DROP_KEYS.rejected) ?? 0, expired: meta.get(DROP_KEYS.expired) ?? 0 };
}
