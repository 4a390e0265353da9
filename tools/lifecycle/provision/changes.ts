import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { writeDurable } from '../../../firmware/lifecycle/state.js';

/**
 * A provisioning step is a list of changes computed from what is on disk: nothing to do gives
 * an empty list, which is how a second run knows it changes nothing and `--check` finds drift.
 */
export interface Change {
  /** one line: what differs and what will be done */
  readonly what: string;
  /** shown before writing (config.txt) */
  readonly diff?: string;
  apply(): void | Promise<void>;
}

export interface Owner {
  readonly uid: number;
  readonly gid: number;
}

const oct = (m: number): string => `0${(m & 0o7777).toString(8)}`;

/** Ownership is set when we run as root and the owner is known (the account step made it). */
function chownIfRoot(path: string, owner: (() => Owner | undefined) | undefined): void {
  const o = owner?.();
  if (o && process.getuid?.() === 0) chownSync(path, o.uid, o.gid);
}

function ownerDiffers(path: string, owner: (() => Owner | undefined) | undefined): boolean {
  if (!owner || process.getuid?.() !== 0 || !existsSync(path)) return false;
  const o = owner();
  if (!o) return true; // the account is made by an earlier step of this plan

  const st = statSync(path);
  return st.uid !== o.uid || st.gid !== o.gid;
}

export function dirChange(path: string, mode: number, owner?: () => Owner | undefined): Change[] {
  if (!existsSync(path)) {
    return [{ what: `create directory ${path} (${oct(mode)})`, apply: () => {
      mkdirSync(path, { recursive: true, mode });
      chmodSync(path, mode);
      chownIfRoot(path, owner);
    } }];
  }
  const changes: Change[] = [];
  const st = statSync(path);
  if (!st.isDirectory()) throw new Error(`${path} exists and is not a directory`);
  if ((st.mode & 0o7777) !== mode) changes.push({ what: `mode of ${path}: ${oct(st.mode)} → ${oct(mode)}`, apply: () => chmodSync(path, mode) });
  if (ownerDiffers(path, owner)) changes.push({ what: `owner of ${path} → the service account`, apply: () => chownIfRoot(path, owner) });
  return changes;
}

export function fileChange(path: string, content: string | Buffer, mode: number, owner?: () => Owner | undefined, label = ''): Change[] {
  const want = Buffer.isBuffer(content) ? content : Buffer.from(content);
  const write = (): void => {
    writeDurable(path, want.toString('utf8'), mode);
    chmodSync(path, mode);
    chownIfRoot(path, owner);
  };
  if (!existsSync(path)) return [{ what: `create ${path}${label} (${oct(mode)})`, apply: write }];
  const changes: Change[] = [];
  if (!readFileSync(path).equals(want)) changes.push({ what: `update ${path}${label}: content differs`, apply: write });
  else {
    const m = statSync(path).mode & 0o7777;
    if (m !== mode) changes.push({ what: `mode of ${path}: ${oct(m)} → ${oct(mode)}`, apply: () => chmodSync(path, mode) });
    if (ownerDiffers(path, owner)) changes.push({ what: `owner of ${path} → the service account`, apply: () => chownIfRoot(path, owner) });
  }
  return changes;
}

/** A minimal line diff for small config files: '-' lines removed, '+' lines added, in order. */
export function lineDiff(path: string, before: string, after: string): string {
  const a = before.split('\n');
  const b = after.split('\n');
  const out = [`--- ${path}`, `+++ ${path} (edgefw provision)`];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      i++;
      j++;
    } else if (i < a.length && !b.slice(j).includes(a[i] as string)) out.push(`-${a[i++]}`);
    else if (j < b.length) out.push(`+${b[j++]}`);
    else out.push(`-${a[i++]}`);
  }
  return out.join('\n');
}
