import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The boot counter: increases by one at every start and is never reused, so (boot, seq) names a
 * sample uniquely and the platform can tell a stale last will from a current one. Written with
 * write-to-temp + rename so a power cut leaves the old or the new value, never a torn file.
 */
export function nextBootCounter(dataDir: string): number {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'boot-counter');
  let prev = 0;
  try {
    const text = readFileSync(file, 'utf8').trim();
    if (/^\d+$/.test(text)) prev = Number(text);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const boot = prev + 1;
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${boot}\n`);
  renameSync(tmp, file);
  return boot;
}
