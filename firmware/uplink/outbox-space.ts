import { closeSync, existsSync, fsyncSync, openSync, statSync, statfsSync, unlinkSync, writeSync } from 'node:fs';
import type Database from 'better-sqlite3';

/**
 * Disk space and the write-ahead log. The outbox keeps its log small and gives space back, so
 * that a small or nearly full card is never held by an outbox with nothing waiting:
 * - a truncating checkpoint when the log passes WAL_CHECKPOINT_BYTES, and whenever the outbox has
 *   nothing waiting and the log holds anything (the log then goes back to zero bytes);
 * - freed pages go back to the file system (incremental auto-vacuum) once they pass VACUUM_PAGES;
 * - new readings stop going to disk while less than HEADROOM_BYTES would stay free after the
 *   commit and the checkpoint that may follow it (they wait in the memory ring, fault
 *   OUTBOX_DISK_FULL), so deleting what the broker acknowledged, checkpoints and the vacuum have
 *   room to run and the fault clears by itself once space returns;
 * - a spare file (SPARE_BYTES, `<outbox>.spare`) is kept beside the outbox while space allows and
 *   given up when something else filled the disk to the last byte: deleting, checkpointing and
 *   vacuuming then still have room to give the outbox's own space back.
 */
export const WAL_CHECKPOINT_BYTES = 128 * 1024;
export const HEADROOM_BYTES = 192 * 1024;
/** the disk is writable again once this much more is free (hysteresis against flapping) */
export const RESUME_BYTES = 384 * 1024;
export const SPARE_BYTES = 128 * 1024;
const VACUUM_PAGES = 32;

/** The spare file: made while there is room, released to get out of a disk full to the last byte. */
export class Spare {
  constructor(private readonly path: string) {}

  /** Create it when missing and `free` allows; false when it could not be made. */
  keep(free: number): boolean {
    if (existsSync(this.path)) return true;
    if (free < SPARE_BYTES + RESUME_BYTES) return false;
    let fd: number | undefined;
    try {
      fd = openSync(this.path, 'w');
      writeSync(fd, Buffer.alloc(SPARE_BYTES));
      fsyncSync(fd);
      return true;
    } catch {
      this.release();
      return false;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /** Give its space to the file system; true when there was one. */
  release(): boolean {
    try {
      unlinkSync(this.path);
      return true;
    } catch {
      return false;
    }
  }
}

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
