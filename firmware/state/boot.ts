import { randomUUID } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir } from './dirs.js';

/** Who this start is (docs/mqtt.md, "The reading model"). */
export interface BootIdentity {
  /** increases by one at every start whose counter could be saved */
  readonly boot: number;
  /**
   * random 128-bit id (UUID) of this start: unique even when the counter repeats (a full or
   * read-only card cannot save it), so (box, bootId) always names one run
   */
  readonly bootId: string;
  /** no boot counter existed: the box never started before with this storage */
  readonly firstStart: boolean;
  /** the counter could not be saved: the next start may repeat `boot` (never `bootId`) */
  readonly saved: boolean;
}

/**
 * The boot counter: increases by one at every start. Written with write-to-temp + rename so a
 * power cut leaves the old or the new value, never a torn file. A card that cannot be read or
 * written must not stop the box: the counter then repeats, and the random boot id tells the
 * starts apart.
 */
export function startBoot(dataDir: string, onError?: (e: Error) => void): BootIdentity {
  const file = join(dataDir, 'boot-counter');
  let prev = 0;
  let firstStart = false;
  try {
    const text = readFileSync(file, 'utf8').trim();
    if (/^\d+$/.test(text)) prev = Number(text);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') firstStart = true;
    else onError?.(e as Error);
  }
  const boot = prev + 1;
  let saved = true;
  try {
    ensureDir(dataDir);
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, `${boot}\n`, { mode: 0o640 });
    renameSync(tmp, file);
  } catch (e) {
    // a full or read-only disk must not stop the box (the outbox raises the fault)
    saved = false;
    if (!onError) throw e;
    onError(e as Error);
  }
  return { boot, bootId: randomUUID(), firstStart, saved };
}
