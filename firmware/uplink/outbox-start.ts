import { randomInt } from 'node:crypto';
import { existsSync, renameSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { type OutboxStatements, classifyStorageError } from './outbox-db.js';
import type { SeqAllocator, SeqSkip, SkipReason, StoredCounters } from './outbox-seqs.js';
import type { Spare, WriteMeter } from './outbox-space.js';
import type { WalCheck } from './outbox-wal.js';
import { storedDrops } from './outbox-write.js';
import type { DropCounts } from './queue.js';

/**
 * Where the outbox's sequence counters come from at start and how they are kept durable
 * (docs/mqtt.md, "Sequences"): the lifecycle half of outbox.ts.
 */
export interface StartState {
  /** the counters of a file (or a fresh range) were taken this start */
  adopted: boolean;
  /** this start's reservations are in the current file */
  owns: boolean;
  /** the box never started before: a new file may start at 0 */
  readonly firstStart: boolean;
}

const SKIPS_KEPT = 1000;
const SKIPS_READ = 16;

/**
 * Take the counters of a file just opened. At the first open of a start: continue where the file
 * says (an unclean stop skips the rest of its reservations), or jump to a fresh range when the file
 * cannot prove continuity (new on a box that ran before, set aside as corrupt, damaged WAL). Later
 * opens in the same start keep this start's counters (never below what the file reserved).
 */
export function adoptFile(
  st: OutboxStatements,
  alloc: SeqAllocator,
  start: StartState,
  how: { readonly setAside: boolean; readonly wal: WalCheck; readonly now: number },
  jump: (reason: SkipReason) => void,
): { drops: DropCounts; skips: SeqSkip[]; fileId: number } {
  const empty = st.isEmpty.get() === 1;
  const meta = new Map((st.allMeta.all() as { key: string; value: number }[]).map((r) => [r.key, r.value]));
  const base = meta.get('seqBase') ?? 0;
  const stored: StoredCounters = {
    devs: st.allSeqs.all() as { dev: string; next: number; reserved: number }[],
    base,
    baseReserved: meta.get('baseReserved') ?? base,
    clean: meta.get('clean') === 1,
  };
  alloc.needsFull = true;
  if (!start.adopted) {
    start.adopted = true;
    if (how.setAside) jump('corrupt');
    else if (empty) {
      if (!start.firstStart) jump('new-file');
    } else {
      alloc.adopt(stored, how.now);
      if (how.wal.damaged) jump('wal-damaged');
    }
  } else if (how.setAside || empty) {
    if (!alloc.unreserved) jump(how.setAside ? 'corrupt' : 'new-file');
  } else if (!start.owns) {
    alloc.atLeast(stored); // a file found again after the disk refused us at start
  }
  const skips = (st.recentSkips.all(SKIPS_READ) as { boot: number; bootId: string; at: number; dev: string; from: number | null; to: number; reason: SkipReason }[])
    .reverse()
    .map((r) => ({ ...r }));
  // the drop counters belong to this file: a new file (after a loss) starts its own, under a new id
  const fileId = meta.get('fileId') ?? randomInt(1, 2 ** 47);
  return { drops: empty ? { oldest: 0, rejected: 0, expired: 0 } : storedDrops(meta), skips, fileId };
}

/**
 * Write the reservations `alloc` wants before issuing `want` more numbers per device, with the
 * skips not yet saved, and checkpoint them into the main file: a WAL that later loses its tail
 * can then never take a reservation back. A reservation is a few hundred bytes: on a disk full to
 * the last byte the spare file gives them. Returns whether anything was written; throws what
 * SQLite throws (nothing is then reserved).
 */
export function reserve(
  db: Database.Database,
  st: OutboxStatements,
  alloc: SeqAllocator,
  want: ReadonlyMap<string, number>,
  ringLow: ReadonlyMap<string, number>,
  meter: WriteMeter,
  fileId: number,
  spare?: Spare,
): boolean {
  const r = alloc.wanted(want);
  if (r.devs.size === 0 && r.base === undefined) return false;
  const skips = [...alloc.pendingSkips];
  const roomFrom = (e: unknown): void => {
    if (!spare || classifyStorageError(e) !== 'full' || !spare.release()) throw e;
  };
  const write = (): void => db.transaction(() => {
    st.setMeta.run('clean', 0);
    st.ensureMeta.run('fileId', fileId);
    for (const [dev, to] of r.devs) {
      const next = alloc.next.get(dev) ?? alloc.base;
      // a device without a row: numbers below `next` not yet stored are in the memory ring
      st.putReserved.run(dev, Math.min(next, ringLow.get(dev) ?? next), to);
    }
    if (r.base !== undefined) {
      st.setMeta.run('seqBase', alloc.base);
      st.setMeta.run('baseReserved', r.base);
    }
    for (const s of skips) st.insertSkip.run(s.boot, s.bootId, s.at, s.dev, s.from, s.to, s.reason);
    st.pruneSkips.run(SKIPS_KEPT);
  }).immediate();
  try {
    write();
  } catch (e) {
    roomFrom(e);
    write();
  }
  try {
    meter.checkpoint();
  } catch (e) {
    roomFrom(e);
    meter.checkpoint();
  }
  alloc.reservedNow(r);
  alloc.skipsSaved(skips.length);
  return true;
}

/** Clean stop: every reservation shrinks to what was used, so the next start continues without a gap. */
export function markClean(db: Database.Database, st: OutboxStatements, alloc: SeqAllocator): void {
  const skips = [...alloc.pendingSkips];
  db.transaction(() => {
    for (const [dev, next] of alloc.next) st.setSeq.run(dev, next, next);
    st.setMeta.run('seqBase', alloc.base);
    st.setMeta.run('baseReserved', alloc.base);
    for (const s of skips) st.insertSkip.run(s.boot, s.bootId, s.at, s.dev, s.from, s.to, s.reason);
    st.setMeta.run('clean', 1);
  }).immediate();
  alloc.skipsSaved(skips.length);
  alloc.shrunk();
}

/** Rename a file that went bad under us (with its -wal and -shm) and keep it for inspection. */
export function setAside(path: string, now: number, done: (aside: string) => void): boolean {
  const aside = `${path}.corrupt-${now}`;
  try {
    for (const suffix of ['', '-wal', '-shm']) if (existsSync(path + suffix)) renameSync(path + suffix, aside + suffix);
  } catch {
    return false; // rename failed too: stay in memory and retry later
  }
  done(aside);
  return true;
}
