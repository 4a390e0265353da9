import type { StorageTrouble } from './outbox-db.js';
import type { SeqSkip } from './outbox-seqs.js';
import type { DropCounts, QueueBounds } from './queue.js';

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
  | { readonly type: 'reserved' }
  /** a stored row was damaged: its good readings stay, the row as found is kept in table `damaged` of the file */
  | { readonly type: 'damaged'; readonly path: string; readonly row: number; readonly boot: number; readonly reason: string; readonly lost: number; readonly kept: number };

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
  /**
   * readings commits made safe since start: stored, or acknowledged by the broker before the commit
   * (published from memory, never stored); the watchdog and the update trial count progress here
   */
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
  /** readings of damaged stored rows that could not be kept, counted in the file (all starts of it) */
  readonly damaged: number;
  /** latest sequence skips and fresh ranges (this start's and those found in the file); saved false = not yet in the file */
  readonly skips: readonly (SeqSkip & { readonly saved?: false })[];
}

export const ZERO: DropCounts = { oldest: 0, rejected: 0, expired: 0 };
export const add = (a: DropCounts, b: DropCounts): DropCounts => ({ oldest: a.oldest + b.oldest, rejected: a.rejected + b.rejected, expired: a.expired + b.expired });
export const sub = (a: DropCounts, b: DropCounts): DropCounts => ({ oldest: a.oldest - b.oldest, rejected: a.rejected - b.rejected, expired: a.expired - b.expired });
