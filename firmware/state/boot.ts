import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir } from './dirs.js';

/**
 * The boot counter: increases by one at every start and is never reused, so (boot, seq) names a
 * sample uniquely and the platform can tell a stale last will from a current one. Written with
 * write-to-temp + rename so a power cut leaves the old or the new value, never a torn file.
 */
export function nextBootCounter(dataDir: string, onWriteError?: (e: Error) => void): number {
  const file = join(dataDir, 'boot-counter');
  let prev = 0;
  try {
    const text = readFileSync(file, 'utf8').trim();
    if (/^\d+$/.test(text)) prev = Number(text);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const boot = prev + 1;
  try {
    ensureDir(dataDir);
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, `${boot}\n`, { mode: 0o640 });
    renameSync(tmp, file);
  } catch (e) {
    // a full or read-only disk must not stop the box (the outbox raises the fault); the counter
    // is then not saved, and a second start on the same broken disk repeats this boot number
    if (!onWriteError) throw e;
    onWriteError(e as Error);
  }
  return boot;
}
