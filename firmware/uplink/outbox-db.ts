import { accessSync, constants, existsSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ensureDir } from '../state/dirs.js';

/**
 * The outbox database file: one table of stored readings (a row per batch of readings, at most
 * one message's worth), one of per-device sequence counters and reservations, one of sequence
 * skips, one of metadata (drop counters, clean-stop flag). Opened in WAL mode with
 * synchronous=FULL: a commit returns only after its WAL frames are fsync'ed, so a committed
 * reading survives a power cut. Checkpoints are ours (wal_autocheckpoint=0, see WriteMeter) so
 * the bytes written can be counted and the log kept small; new files use incremental
 * auto-vacuum so an emptied outbox gives its pages back to the disk.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS seqs (
  dev      TEXT PRIMARY KEY,
  next     INTEGER NOT NULL,                 -- first number not stored (nor counted as dropped)
  reserved INTEGER                           -- every number issued is below this (NULL in older files: next)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS skips (
  id INTEGER PRIMARY KEY, boot INTEGER NOT NULL, bootId TEXT NOT NULL, at INTEGER NOT NULL,
  dev TEXT NOT NULL, "from" INTEGER, "to" INTEGER NOT NULL, reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS batches (
  id        INTEGER PRIMARY KEY,             -- storage order, given by the outbox (increasing within a run)
  boot      INTEGER NOT NULL,                -- boot counter of the start that read every reading of the row
  bid       TEXT,                            -- boot id of that start (NULL in older files)
  n         INTEGER NOT NULL,                -- readings in the row (bounds count these, not rows)
  created   INTEGER NOT NULL,                -- wall ms when stored (age bound)
  bytes     INTEGER NOT NULL,                -- UTF-8 bytes of the readings' JSON, separators not counted
  untrusted INTEGER NOT NULL,                -- readings read with tq 'none' (waiting to be re-stamped)
  monos     TEXT,                            -- JSON array: monotonic ms of each reading; NULL when untrusted = 0
  body      TEXT    NOT NULL                 -- the readings as they go on the wire (JSON), one per line
);
CREATE TABLE IF NOT EXISTS damaged (         -- rows found damaged (outbox-damage.ts), as found; never sent
  id INTEGER PRIMARY KEY, row INTEGER NOT NULL, at INTEGER NOT NULL, reason TEXT NOT NULL,
  boot, bid, n, created, bytes, untrusted, monos, body
);
`;

/**
 * Files written before readings were stored per batch held one row per reading in table
 * 'outbox': each becomes a row of one reading, in order, in the transaction that drops it.
 */
const MIGRATE_PER_READING = `
INSERT INTO batches (id, boot, n, created, bytes, untrusted, monos, body)
  SELECT id, boot, 1, created, length(CAST(body AS BLOB)), tq = 'none', CASE WHEN tq = 'none' THEN json_array(mono) END, body
  FROM outbox ORDER BY id;
DROP TABLE outbox;
`;
/** Raised when the file is not a healthy SQLite database. */
export class CorruptDatabaseError extends Error {
  override readonly name = 'CorruptDatabaseError';
}

export type StorageTrouble = 'full' | 'read-only' | 'corrupt' | 'io';

/**
 * Classify an error from SQLite or the file system into what the technician must do. SQLite
 * reports a read-only file system opening a WAL database as SQLITE_CANTOPEN/IOERR, so for those
 * the directory itself is asked (access W_OK answers EROFS).
 */
export function classifyStorageError(e: unknown, dir?: string): StorageTrouble {
  const t = classifyCode(e);
  if (t !== 'io' || dir === undefined) return t;
  try {
    accessSync(dir, constants.W_OK);
  } catch (err) {
    return classifyCode(err) === 'read-only' ? 'read-only' : 'io';
  }
  return 'io';
}

function classifyCode(e: unknown): StorageTrouble {
  if (e instanceof CorruptDatabaseError) return 'corrupt';
  const code = String((e as { code?: unknown }).code ?? '');
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT') return 'full';
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS' || code === 'EACCES' || code === 'EPERM') return 'read-only';
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) return 'corrupt';
  return 'io';
}

export interface OpenResult {
  readonly db: Database.Database;
  /** the database was created now (no counters from before) */
  readonly created: boolean;
  /** a corrupt file was renamed to this path and a new one created */
  readonly setAside?: { readonly path: string; readonly reason: string };
}

function openChecked(path: string): { db: Database.Database; created: boolean } {
  const created = !existsSync(path);
  const db = new Database(path);
  try {
    // only takes effect on a file without tables (new or zero length)
    db.pragma('auto_vacuum = INCREMENTAL');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('wal_autocheckpoint = 0');
    db.pragma(`journal_size_limit = ${1024 * 1024}`);
    // quick_check reads every page once (~10 ms per 10k rows here); integrity_check also
    // cross-checks indexes and is for the tests and `edgefw diag`
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new CorruptDatabaseError(`quick_check: ${String(check)}`);
    db.exec(SCHEMA);
    const old = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'outbox'").get();
    if (old) db.transaction(() => db.exec(MIGRATE_PER_READING)).immediate();
    const columns = (table: string): string[] => (db.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name);
    if (!columns('seqs').includes('reserved')) db.exec('ALTER TABLE seqs ADD COLUMN reserved INTEGER');
    if (!columns('batches').includes('bid')) db.exec('ALTER TABLE batches ADD COLUMN bid TEXT');
    return { db, created };
  } catch (e) {
    db.close();
    const code = String((e as { code?: unknown }).code ?? '');
    if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) throw new CorruptDatabaseError((e as Error).message);
    throw e;
  }
}

/**
 * Open (or create) the outbox file. A corrupt file is renamed to `<path>.corrupt-<wall ms>`
 * (with its -wal and -shm) and kept for inspection; a new one is created in its place.
 * Other errors (read-only, full, missing directory) are thrown for the caller to degrade.
 */
export function openOutboxDb(path: string, nowMs: number): OpenResult {
  ensureDir(dirname(path), 'uplink.outbox.file');
  try {
    return openChecked(path);
  } catch (e) {
    if (!(e instanceof CorruptDatabaseError)) throw e;
    const aside = `${path}.corrupt-${nowMs}`;
    renameSync(path, aside);
    for (const suffix of ['-wal', '-shm']) if (existsSync(path + suffix)) renameSync(path + suffix, aside + suffix);
    return { ...openChecked(path), setAside: { path: aside, reason: e.message } };
  }
}

type StatementName =
  | 'insert' | 'putNext' | 'putReserved' | 'setSeq' | 'allSeqs' | 'delRange' | 'page' | 'body' | 'rowBody' | 'oldest' | 'totals' | 'has'
  | 'getMeta' | 'setMeta' | 'allMeta' | 'untrusted' | 'rewrite' | 'insertSkip' | 'recentSkips' | 'pruneSkips' | 'isEmpty' | 'ensureMeta'
  | 'keepDamaged' | 'rowSize';
export type OutboxStatements = Readonly<Record<StatementName, Database.Statement>>;

/** The statements of the outbox, prepared once per open file. */
export function prepareStatements(db: Database.Database): OutboxStatements {
  return {
    insert: db.prepare('INSERT INTO batches (id, boot, bid, n, created, bytes, untrusted, monos, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
    // (dev, next, reserved): a new device gets the reservation it was numbered under
    putNext: db.prepare('INSERT INTO seqs (dev, next, reserved) VALUES (?, ?, ?) ON CONFLICT (dev) DO UPDATE SET next = excluded.next'),
    putReserved: db.prepare('INSERT INTO seqs (dev, next, reserved) VALUES (?, ?, ?) ON CONFLICT (dev) DO UPDATE SET reserved = excluded.reserved'),
    setSeq: db.prepare('INSERT OR REPLACE INTO seqs (dev, next, reserved) VALUES (?, ?, ?)'),
    allSeqs: db.prepare('SELECT dev, next, coalesce(reserved, next) AS reserved FROM seqs'),
    delRange: db.prepare('DELETE FROM batches WHERE id BETWEEN ? AND ?'),
    // rows without their body: a take reads the body only of the rows it hands out
    page: db.prepare('SELECT id, boot, bid, n, bytes FROM batches WHERE id > ? AND id <= ? ORDER BY id LIMIT ?'),
    body: db.prepare('SELECT body, monos, n FROM batches WHERE id = ?'),
    rowBody: db.prepare('SELECT body FROM batches WHERE id = ?').pluck(),
    oldest: db.prepare('SELECT id, created, n, bytes FROM batches WHERE id > ? ORDER BY id LIMIT ?'),
    totals: db.prepare('SELECT coalesce(sum(n), 0) AS n, coalesce(sum(bytes), 0) AS bytes, coalesce(max(id), 0) AS last FROM batches'),
    has: db.prepare('SELECT 1 FROM batches WHERE id = ?'),
    getMeta: db.prepare('SELECT value FROM meta WHERE key = ?'),
    setMeta: db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
    allMeta: db.prepare('SELECT key, value FROM meta'),
    ensureMeta: db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)'),
    insertSkip: db.prepare('INSERT INTO skips (boot, bootId, at, dev, "from", "to", reason) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    recentSkips: db.prepare('SELECT boot, bootId, at, dev, "from", "to", reason FROM skips ORDER BY id DESC LIMIT ?'),
    pruneSkips: db.prepare('DELETE FROM skips WHERE id <= (SELECT max(id) FROM skips) - ?'),
    // a file never used by an outbox: new, zero length, or emptied
    isEmpty: db.prepare('SELECT NOT EXISTS (SELECT 1 FROM meta) AND NOT EXISTS (SELECT 1 FROM seqs) AND NOT EXISTS (SELECT 1 FROM batches)').pluck(),
    untrusted: db.prepare('SELECT id FROM batches WHERE boot = ? AND untrusted > 0 ORDER BY id').pluck(),
    rewrite: db.prepare('UPDATE batches SET n = ?, bytes = ?, untrusted = ?, monos = ?, body = ? WHERE id = ?'),
    keepDamaged: db.prepare(
      'INSERT INTO damaged (row, at, reason, boot, bid, n, created, bytes, untrusted, monos, body) SELECT id, ?, ?, boot, bid, n, created, bytes, untrusted, monos, body FROM batches WHERE id = ?',
    ),
    rowSize: db.prepare('SELECT n, bytes FROM batches WHERE id = ?'),
  };
}

/** Delete ids in runs of consecutive ids (one statement per run). */
export function deleteIds(st: OutboxStatements, ids: readonly number[]): void {
  if (ids.length === 0) return;
  const sorted = [...ids].sort((a, b) => a - b);
  let start = sorted[0] as number;
  let prev = start;
  for (let i = 1; i <= sorted.length; i++) {
    const id = sorted[i];
    if (id === prev + 1) {
      prev = id;
      continue;
    }
    st.delRange.run(start, prev);
    if (id === undefined) break;
    start = id;
    prev = id;
  }
}
