import { statSync, statfsSync } from 'node:fs';
import type Database from 'better-sqlite3';

/**
 * Disk space and the write-ahead log. The outbox keeps its log small and gives space back, so
 * that a small or nearly full card is never held by an outbox with nothing waiting:
 * - a truncating checkpoint when the log passes WAL_CHECKPOINT_BYTES, and whenever the outbox has
 *   nothing waiting and the log holds anything (the log then goes back to zero bytes);
 * - freed pages go back to the file system (incremental auto-vacuum) once they pass VACUUM_PAGES;
 * - new readings stop going to disk while less than HEADROOM_BYTES is free (they wait in the
 *   memory ring, fault OUTBOX_DISK_FULL), so deleting what the broker acknowledged, checkpoints and
 *   the vacuum always have room to run and the fault clears by itself once space returns.
 */
export const WAL_CHECKPOINT_BYTES = 256 * 1024;
export const HEADROOM_BYTES = 384 * 1024;
/** the disk is writable again once this much is free (hysteresis against flapping) */
export const RESUME_BYTES = 512 * 1024;
const VACUUM_PAGES = 64;

/** Bytes free for an unprivileged writer on the file system holding `dir`; Infinity when unknown. */
export function freeBytes(dir: string): number {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/**
 * Bytes SQLite writes for us: WAL frames (measured as growth of the -wal file between our
 * truncating checkpoints) plus the pages each checkpoint copies into the main file. Also decides
 * when to checkpoint and vacuum.
 */
export class WriteMeter {
  private walSize = 0;
  bytes = 0;
  commits = 0;
  checkpoints = 0;
  private readonly pageSize: number;
  private readonly incremental: boolean;

  constructor(
    private readonly db: Database.Database,
    private readonly path: string,
    private readonly checkpointWalBytes = WAL_CHECKPOINT_BYTES,
  ) {
    this.pageSize = Number(db.pragma('page_size', { simple: true }));
    this.incremental = Number(db.pragma('auto_vacuum', { simple: true })) === 2;
    this.walSize = this.walBytes();
  }

  /** After each commit: count the new WAL bytes; checkpoint when the log is big, or when nothing waits. */
  afterCommit(empty = false): void {
    this.commits++;
    const size = this.walBytes();
    if (size > this.walSize) this.bytes += size - this.walSize;
    this.walSize = size;
    if (size >= this.checkpointWalBytes || (empty && size > 0)) this.reclaim();
  }

  /** Give freed pages back to the file system, then truncate the log. Errors are the caller's. */
  reclaim(): void {
    if (this.incremental && Number(this.db.pragma('freelist_count', { simple: true })) >= VACUUM_PAGES) {
      this.db.pragma('incremental_vacuum');
    }
    this.checkpoint();
  }

  checkpoint(): void {
    const rows = this.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number; checkpointed: number }[];
    const r = rows[0];
    if (r) this.bytes += r.checkpointed * this.pageSize;
    this.checkpoints++;
    this.walSize = this.walBytes();
  }

  walBytes(): number {
    try {
      return statSync(`${this.path}-wal`).size;
    } catch {
      return 0;
    }
  }
}
