import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';

import { StartupError } from '../startup-error.js';

/** A directory the box needs and cannot have: the message names the profile key, the path and why. */
export class StorageDirError extends StartupError {
  constructor(
    key: string,
    readonly dir: string,
    reason: string,
    /** the file system's errno (EACCES, ENOTDIR …), for callers that classify storage trouble */
    readonly code?: string,
  ) {
    super(key, `"${dir}": ${reason}`);
    this.name = 'StorageDirError';
  }
}

/**
 * Create `dir` and its missing parents, one level at a time, and check the box may write in it.
 *
 * Not `mkdirSync(dir, { recursive: true })`: under a virtual file system such as /proc, mkdir
 * answers ENOENT for a path whose parent exists, and Node's recursive mkdir retries that forever
 * in a synchronous loop (100 % CPU, deaf to SIGTERM). Here every level is tried once, so the
 * loop is bounded by the depth of the path, and each failure becomes one sentence.
 *
 * A read-only file system (EROFS) is not refused: that is a failing card at run time, which the
 * outbox survives in its memory ring (OUTBOX_READ_ONLY). A missing permission is an install
 * mistake and is refused.
 */
export function ensureDir(dir: string, key = 'storage.dir'): void {
  const full = resolve(dir);
  const levels: string[] = [];
  for (let p = full; ; p = dirname(p)) {
    levels.unshift(p);
    if (dirname(p) === p) break;
  }
  for (const level of levels) {
    let st;
    try {
      st = statSync(level);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR') throw new StorageDirError(key, dir, `${dirname(level)} is a file, not a directory`, code);
      if (code !== 'ENOENT') throw new StorageDirError(key, dir, `cannot look at ${level} (${code ?? String(e)})`, code);
    }
    if (st) {
      if (!st.isDirectory()) throw new StorageDirError(key, dir, `${level} is a file, not a directory`, 'ENOTDIR');
      continue;
    }
    try {
      mkdirSync(level);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      const parent = dirname(level) === sep ? sep : dirname(level);
      if (code === 'ENOENT') throw new StorageDirError(key, dir, `${parent} does not accept new directories (a virtual file system such as /proc or /sys?); choose a directory on the data partition, e.g. /var/lib/edgefw`, code);
      if (code === 'EACCES' || code === 'EPERM') throw new StorageDirError(key, dir, `no permission to create ${level} (run as a user who may write in ${parent}, or create it: sudo install -d -o edgefw ${level})`, code);
      if (code === 'EROFS') return; // read-only: the outbox runs from memory and raises OUTBOX_READ_ONLY
      throw new StorageDirError(key, dir, `cannot create ${level} (${code ?? String(e)})`, code);
    }
  }
  try {
    accessSync(full, constants.W_OK | constants.X_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EROFS') return;
    throw new StorageDirError(key, dir, `the box may not write in it (${code ?? String(e)}); make it writable by the user edgefw runs as: sudo chown edgefw ${full}`, code);
  }
}
