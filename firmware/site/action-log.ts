import { appendFileSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** <state dir>/site-actions.log: one JSON line per technician action, bounded with one rotation. */
export const ACTION_LOG = 'site-actions.log';
const LOG_MAX_BYTES = 512 * 1024;

export interface ActionLogEntry {
  readonly t: string;
  readonly who: string;
  readonly client: string;
  readonly action: string;
  readonly args: Readonly<Record<string, string>>;
  readonly outcome: string;
}

/** Append one entry; throws when the state directory cannot be written (the caller logs it). */
export function appendAction(dir: string, e: ActionLogEntry): void {
  const file = join(dir, ACTION_LOG);
  mkdirSync(dir, { recursive: true });
  try {
    if (statSync(file).size > LOG_MAX_BYTES) renameSync(file, `${file}.1`);
  } catch {
    /* no log yet */
  }
  appendFileSync(file, `${JSON.stringify(e)}\n`);
}

/** The newest entries, newest first. */
export function recentActions(dir: string, max = 50): ActionLogEntry[] {
  try {
    const lines = readFileSync(join(dir, ACTION_LOG), 'utf8').trim().split('\n');
    return lines.slice(-max).reverse().flatMap((l) => {
      try {
        return [JSON.parse(l) as ActionLogEntry];
      } catch {
        return [];
      }
    });
  } catch {
    return [];
  }
}
