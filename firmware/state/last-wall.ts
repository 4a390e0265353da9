import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The last wall time this box saw while its clock was trusted (NTP, a GPS that agreed, or the
 * profile's assumeTrusted), kept in `<storage.dir>/last-wall-time`. At the next start it is the
 * clock's floor together with the firmware date: time cannot be earlier than that, so a GPS date
 * before it is a week rollover and one years after it is not believed (GPS_DATE_IMPLAUSIBLE).
 * Written with write-to-temp + rename; an unreadable or garbled file counts as unknown.
 */
const FILE = 'last-wall-time';

export function readLastWall(dataDir: string): number | undefined {
  try {
    const text = readFileSync(join(dataDir, FILE), 'utf8').trim();
    if (!/^\d{13}$/.test(text)) return undefined;
    return Number(text);
  } catch {
    return undefined;
  }
}

/** Save the wall time; false (and the reason to the caller's log) when the disk refuses. */
export function saveLastWall(dataDir: string, wallMs: number, onError?: (e: Error) => void): boolean {
  const file = join(dataDir, FILE);
  try {
    writeFileSync(`${file}.tmp`, `${Math.round(wallMs)}\n`);
    renameSync(`${file}.tmp`, file);
    return true;
  } catch (e) {
    onError?.(e as Error);
    return false;
  }
}
