import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * The update journal: one small state file (`<state dir>/update.json`) and two links in the
 * install directory, `current` (what the service starts) and `committed` (the last version
 * that proved healthy, whose code runs the start-up guard). The state file is the truth; the
 * links are derived from it, and every change writes the state first (temp file, fsync,
 * rename, fsync of the directory) and swaps a link second (a temp symlink renamed over the
 * old one, fsync'd). A power cut between the two leaves a state the guard completes at the
 * next start (reconcile()), so every cut lands on a version that ran before or on a trial
 * that is still counted.
 *
 *   idle ─► downloading ─► staged ─► trial ─► committed
 *                │            │        └────► rolled-back  (crash at start, never healthy)
 *                └────────────┴─► refused (bad signature, target, digest, downgrade…)
 *
 * Invariant: outside `trial`, current = committed. In `trial`, current = the new release and
 * committed = the one to go back to.
 */
export type UpdateState = 'idle' | 'downloading' | 'staged' | 'trial' | 'committed' | 'rolled-back' | 'refused';

export interface TrialRecord {
  readonly version: string;
  /** wall ms when the trial began */
  readonly startedAt: number;
  /** starts of the new version so far (the guard counts them) */
  readonly starts: number;
  /** more starts than this without a commit: rolled back (crash at start) */
  readonly maxStarts: number;
  /** each start must prove healthy within this, ms */
  readonly windowMs: number;
  /** healthy without a break for this long: committed, ms */
  readonly settleMs: number;
  /** set by the runtime when its window ran out unhealthy: the guard rolls back with it */
  readonly verdict?: string;
}

export interface LifecycleState {
  readonly v: 1;
  readonly state: UpdateState;
  /** the version this state is about (the update's version; for idle, the running one) */
  readonly version: string;
  /** the version that is to run outside a trial (the `committed` link) */
  readonly committed: string;
  /** the version before the last switch */
  readonly previous?: string;
  /** lowest version the box accepts: the highest one ever committed */
  readonly floor: string;
  readonly reason?: string;
  readonly trial?: TrialRecord;
  /** where releases/, current and committed live (absolute) */
  readonly installDir: string;
  /** wall ms of this write, and a counter that increases with every write */
  readonly at: number;
  readonly seq: number;
}

export const STATE_FILE = 'update.json';

export interface Layout {
  /** <root>/opt/edgefw */
  readonly installDir: string;
  /** the box's state dir (profile storage.dir): outbox, boot counter, identity, update.json */
  readonly stateDir: string;
}

export const releasesDir = (l: { installDir: string }): string => join(l.installDir, 'releases');
export const releaseDir = (l: { installDir: string }, version: string): string => join(releasesDir(l), version);
export const currentLink = (l: { installDir: string }): string => join(l.installDir, 'current');
export const committedLink = (l: { installDir: string }): string => join(l.installDir, 'committed');

export function fsyncPath(p: string): void {
  try {
    const fd = openSync(p, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* a filesystem that cannot fsync a directory: the rename order still holds */
  }
}

/** Write a file so that a power cut leaves the old or the new content, never a mix. */
export function writeDurable(file: string, text: string, mode = 0o644): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  fsyncPath(dirname(file));
}

export function readState(stateDir: string): LifecycleState | undefined {
  const file = join(stateDir, STATE_FILE);
  if (!existsSync(file)) return undefined;
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as LifecycleState;
    if (s.v !== 1 || typeof s.state !== 'string' || typeof s.committed !== 'string') throw new Error('not an update state record');
    return s;
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}; restore it from the links (edgefw update status --repair) or remove it`);
  }
}

export function writeState(stateDir: string, prev: LifecycleState | undefined, next: Omit<LifecycleState, 'v' | 'at' | 'seq'>, nowMs = Date.now()): LifecycleState {
  const s: LifecycleState = { v: 1, ...next, at: nowMs, seq: (prev?.seq ?? 0) + 1 };
  writeDurable(join(stateDir, STATE_FILE), `${JSON.stringify(s, null, 1)}\n`, 0o644);
  return s;
}

/** The version a link points at (releases/<version>), or undefined. */
export function linkVersion(link: string): string | undefined {
  try {
    return basename(readlinkSync(link));
  } catch {
    return undefined;
  }
}

/** Point `link` at releases/<version> atomically (relative target, temp link + rename, fsync). */
export function pointLink(l: { installDir: string }, link: string, version: string): boolean {
  if (linkVersion(link) === version) return false;
  const tmp = `${link}.tmp-${process.pid}`;
  rmSync(tmp, { force: true });
  symlinkSync(join('releases', version), tmp);
  renameSync(tmp, link);
  fsyncPath(l.installDir);
  return true;
}

/** Compare two semantic versions (1.2.3, 1.2.3-rc.1; a pre-release sorts before its release). */
export function compareSemver(a: string, b: string): number {
  const parse = (v: string): [number[], string] => {
    const [core = '', pre = ''] = v.replace(/^v/, '').split('-', 2);
    return [core.split('.').map((x) => Number(x) || 0), pre];
  };
  const [ca, pa] = parse(a);
  const [cb, pb] = parse(b);
  for (let i = 0; i < 3; i++) {
    const d = (ca[i] ?? 0) - (cb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  if (pa === pb) return 0;
  if (pa === '') return 1;
  if (pb === '') return -1;
  return pa < pb ? -1 : 1;
}

export interface Reconciled {
  readonly state: LifecycleState | undefined;
  /** what the guard did, in words (empty: nothing) */
  readonly actions: string[];
}

/**
 * The start-up guard (the unit's ExecStartPre=, run from the committed release): finish a
 * half-done switch, count a trial start, and roll back a trial that crashed too often or said it
 * never became healthy. Returns the state the service starts with.
 */
export function reconcile(l: Layout, nowMs = Date.now()): Reconciled {
  const actions: string[] = [];
  let s = readState(l.stateDir);
  if (!s) {
    // a box provisioned before the journal existed, or by hand: adopt what current points at
    const v = linkVersion(committedLink(l)) ?? linkVersion(currentLink(l));
    if (!v) return { state: undefined, actions: ['no release installed (edgefw provision)'] };
    if (pointLink(l, committedLink(l), v)) actions.push(`committed → ${v}`);
    if (pointLink(l, currentLink(l), v)) actions.push(`current → ${v}`);
    s = writeState(l.stateDir, undefined, { state: 'idle', version: v, committed: v, floor: v, installDir: l.installDir }, nowMs);
    return { state: s, actions: [...actions, `journal started at ${v}`] };
  }
  const rollback = (why: string, t: TrialRecord): void => {
    s = writeState(l.stateDir, s, { state: 'rolled-back', version: t.version, committed: s!.committed, previous: t.version, floor: s!.floor, reason: why, installDir: s!.installDir }, nowMs);
    actions.push(`rolled back from ${t.version} to ${s.committed}: ${why}`);
  };
  if (s.state === 'trial' && s.trial) {
    const t = s.trial;
    if (!existsSync(join(releaseDir(l, t.version), 'manifest.json'))) rollback(`release ${t.version} is missing on disk`, t);
    else if (t.verdict) rollback(t.verdict, t);
    else if (t.starts >= t.maxStarts) rollback(`${t.starts} start(s) of ${t.version} without proving healthy (crash at start?)`, t);
    else {
      s = writeState(l.stateDir, s, { ...s, trial: { ...t, starts: t.starts + 1 } }, nowMs);
      if (pointLink(l, currentLink(l), t.version)) actions.push(`current → ${t.version} (switch completed)`);
      actions.push(`trial start ${t.starts + 1} of ${t.maxStarts} for ${t.version}`);
      return { state: s, actions };
    }
  }
  // outside a trial: committed is the truth, current follows it
  if (s.state === 'committed' && pointLink(l, committedLink(l), s.committed)) actions.push(`committed → ${s.committed} (commit completed)`);
  if (!existsSync(join(releaseDir(l, s.committed), 'manifest.json'))) actions.push(`committed release ${s.committed} is missing on disk!`);
  if (pointLink(l, committedLink(l), s.committed)) actions.push(`committed → ${s.committed}`);
  if (pointLink(l, currentLink(l), s.committed)) actions.push(`current → ${s.committed}`);
  return { state: s, actions };
}
