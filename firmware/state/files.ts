import { chmodSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The state directory (storage.dir): owner rwx, group (edgefw's) r-x, others nothing. */
export const STATE_DIR_MODE = 0o750;
/** State files: owner rw, group r; keys and secrets 0600 (firmware/security/keys.ts). */
export const STATE_FILE_MODE = 0o640;
/** the umask `edgefw run` sets (and the unit's UMask=): new files 0640, new directories 0750 */
export const STATE_UMASK = 0o027;

/**
 * Take away from the state directory (made by ensureDir, firmware/state/dirs.ts) and what is
 * already in it (left by an older
 * version, a copy by hand, a file created under a wider umask) every permission beyond
 * directories 0750 and files 0640 (a public key file 0644): nothing for other users, no group
 * write. Never widens a
 * mode (a 0600 key stays 0600). Walks two levels and at most `maxEntries` entries; symbolic
 * links are left alone. Returns what was changed; a file it cannot change (not ours) is reported
 * through `onProblem` and left.
 */
export function tightenStateDir(dir: string, onProblem?: (path: string, error: Error) => void, maxEntries = 2000): string[] {
  const changed: string[] = [];
  let budget = maxEntries;
  const visit = (path: string, depth: number): void => {
    if (budget-- <= 0) return;
    let st;
    try {
      st = lstatSync(path);
    } catch {
      return; // removed meanwhile
    }
    if (st.isSymbolicLink()) return;
    const mode = st.mode & 0o777;
    // a public key (box.key.pub) is public by design: 0644 is allowed there, inside a 0750 directory
    const allowed = st.isDirectory() ? STATE_DIR_MODE : path.endsWith('.pub') ? 0o644 : STATE_FILE_MODE;
    if ((mode & ~allowed) !== 0) {
      try {
        chmodSync(path, mode & allowed);
        changed.push(path);
      } catch (e) {
        onProblem?.(path, e as Error);
      }
    }
    if (st.isDirectory() && depth < 2) {
      let names: string[] = [];
      try {
        names = readdirSync(path);
      } catch (e) {
        onProblem?.(path, e as Error);
      }
      for (const n of names) visit(join(path, n), depth + 1);
    }
  };
  visit(dir, 0);
  return changed;
}
