import { type KeyObject } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { type Layout, type LifecycleState, committedLink, currentLink, linkVersion, pointLink, readState, releaseDir, releasesDir, writeState } from '../../firmware/lifecycle/state.js';
import { download } from './download.js';
import { hostTarget, type Manifest } from './manifest.js';
import { BundleRefused, checkBundle, syncTree, unpackBundle } from './release.js';

export interface TrialPolicy {
  readonly windowMs: number;
  readonly settleMs: number;
  readonly maxStarts: number;
}

export const DEFAULT_TRIAL: TrialPolicy = { windowMs: 180_000, settleMs: 60_000, maxStarts: 3 };

export interface UpdateOptions {
  readonly layout: Layout;
  /** a bundle file or an http(s) URL */
  readonly source: string;
  readonly trusted: readonly KeyObject[];
  readonly maxBytes: number;
  readonly trial: TrialPolicy;
  /** restart the service (SIGTERM to the pid in run-state.json; systemd's Restart=always starts it again) */
  readonly restart: boolean;
  /** wait for the verdict (committed or rolled-back) */
  readonly wait: boolean;
  readonly say: (line: string) => void;
}

export interface UpdateOutcome {
  readonly state: LifecycleState['state'];
  readonly version: string | undefined;
  readonly reason: string | undefined;
  readonly ms: number;
}

/** The runtime's pid if run-state.json says it is running and that process exists. */
export function runningPid(stateDir: string): number | undefined {
  try {
    const rec = JSON.parse(readFileSync(join(stateDir, 'run-state.json'), 'utf8')) as { state?: string; pid?: number };
    if (rec.state !== 'running' || typeof rec.pid !== 'number') return undefined;
    process.kill(rec.pid, 0);
    return rec.pid;
  } catch {
    return undefined;
  }
}

/** One update at a time: <state>/update.lock holds the pid of the one in progress. */
function lock(stateDir: string): () => void {
  const file = join(stateDir, 'update.lock');
  for (let i = 0; i < 2; i++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(file, 'utf8'));
      try {
        process.kill(pid, 0);
        throw new Error(`another update is running (pid ${pid}, ${file})`);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
        rmSync(file, { force: true }); // its process is gone (power cut): take over
      }
    }
  }
  throw new Error(`cannot take ${file}`);
}

/**
 * Native modules a bundle could not carry for this target (manifest `buildOnTarget`): the
 * build of the same module version is copied from the release that runs now (no compiler
 * needed for an update that does not change them); the rest are returned, to be built.
 */
export function carryNativeBuilds(from: string, to: string, modules: Manifest['buildOnTarget']): Manifest['buildOnTarget'] {
  const left: Manifest['buildOnTarget'][number][] = [];
  for (const n of modules) {
    const prev = join(from, n.path);
    let version: string | undefined;
    try {
      version = (JSON.parse(readFileSync(join(prev, 'package.json'), 'utf8')) as { version?: string }).version;
    } catch {
      version = undefined;
    }
    const built = join(prev, 'build/Release');
    if (version === n.version && existsSync(built) && readdirSync(built).some((f) => f.endsWith('.node'))) {
      cpSync(join(prev, 'build'), join(to, n.path, 'build'), { recursive: true });
    } else left.push(n);
  }
  return left;
}

/** Compile what carryNativeBuilds could not take over: `npm rebuild` in the staged release (python3, make, g++). */
function buildNative(staging: string, modules: Manifest['buildOnTarget'], say: (s: string) => void): void {
  if (modules.length === 0) return;
  const names = modules.map((n) => n.name);
  say(`building native modules on this box (npm rebuild ${names.join(' ')}; minutes on a Pi)`);
  const r = spawnSync('npm', ['rebuild', ...names], { cwd: staging, encoding: 'utf8', timeout: 60 * 60_000 });
  if (r.status !== 0) throw new BundleRefused('native', `npm rebuild ${names.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}; python3, make and g++ installed?): ${`${r.stderr ?? ''}`.trim().split('\n').slice(-3).join(' | ')}`);
}

/** Keep the committed, current and previous releases; remove the rest (never the running one). */
function prune(l: Layout, keep: readonly (string | undefined)[], say: (s: string) => void): void {
  const dir = releasesDir(l);
  if (!existsSync(dir)) return;
  const k = new Set([...keep, linkVersion(currentLink(l)), linkVersion(committedLink(l))].filter(Boolean));
  for (const name of readdirSync(dir)) {
    if (k.has(name)) continue;
    rmSync(join(dir, name), { recursive: true, force: true });
    if (!name.startsWith('.')) say(`removed old release ${name}`);
  }
}

/**
 * `edgefw update FILE|URL` on the box: check, stage beside the running release, switch,
 * restart, and wait for the running version's verdict (firmware/lifecycle/trial.ts). Every
 * step is journaled (firmware/lifecycle/state.ts). A refused bundle leaves releases, links and
 * the running service as they were; the journal records the refusal for the `update` topic.
 */
export async function runUpdate(o: UpdateOptions): Promise<UpdateOutcome> {
  const t0 = performance.now();
  const l = o.layout;
  mkdirSync(l.stateDir, { recursive: true });
  const unlock = lock(l.stateDir);
  try {
    let s = readState(l.stateDir);
    if (!s) throw new Error(`${l.stateDir}: no update journal; provision the box first (edgefw provision)`);
    if (s.state === 'trial') throw new Error(`${s.trial?.version ?? '?'} is on trial; wait for its verdict (edgefw update status)`);
    const base = { committed: s.committed, floor: s.floor, installDir: s.installDir, ...(s.previous ? { previous: s.previous } : {}) };
    const work = join(l.stateDir, 'update');
    mkdirSync(work, { recursive: true });
    let file = o.source;
    let m: Manifest | undefined;
    try {
      if (/^https?:\/\//.test(o.source)) {
        s = writeState(l.stateDir, s, { ...base, state: 'downloading', version: s.committed, reason: o.source });
        file = join(work, 'bundle.tar.gz');
        rmSync(file, { force: true });
        const d = await download({ url: o.source, file, maxBytes: o.maxBytes });
        o.say(`downloaded ${d.bytes} bytes${d.resumedFrom ? ` (resumed from ${d.resumedFrom})` : ''} in ${d.attempts} attempt(s)`);
      } else if (!existsSync(file)) throw new BundleRefused('download', `${file}: no such file`);
      const target = hostTarget();
      if (!target) throw new BundleRefused('target', `this machine (${process.arch}) is not a bundle target`);
      m = await checkBundle(file, { trusted: o.trusted, target, node: process.versions.node, floor: s.floor, maxBytes: o.maxBytes * 8 });
      if (m.version === s.committed) {
        o.say(`${m.version} is already the committed version; nothing to do`);
        return { state: s.state, version: m.version, reason: 'already installed', ms: performance.now() - t0 };
      }
      o.say(`bundle ok: edgefw ${m.version} for ${m.target}, ${m.files.length} files, signed`);
      prune(l, [s.committed, s.previous], o.say);
      const dest = releaseDir(l, m.version);
      const staging = join(releasesDir(l), `.staging-${m.version}-${process.pid}`);
      rmSync(staging, { recursive: true, force: true });
      try {
        await unpackBundle(file, m, staging);
        const left = carryNativeBuilds(releaseDir(l, s.committed), staging, m.buildOnTarget);
        if (m.buildOnTarget.length > left.length) o.say(`native builds carried over from ${s.committed}: ${m.buildOnTarget.filter((n) => !left.includes(n)).map((n) => n.name).join(', ')}`);
        buildNative(staging, left, o.say);
        rmSync(dest, { recursive: true, force: true }); // a leftover of an earlier failed trial of this version
        renameSync(staging, dest);
        syncTree(releasesDir(l));
      } finally {
        rmSync(staging, { recursive: true, force: true });
      }
    } catch (e) {
      if (!(e instanceof BundleRefused)) throw e;
      s = writeState(l.stateDir, s, { ...base, state: 'refused', version: m?.version ?? s.committed, reason: `${e.reason}: ${e.message}` });
      o.say(`refused (${e.reason}): ${e.message}`);
      return { state: 'refused', version: m?.version, reason: `${e.reason}: ${e.message}`, ms: performance.now() - t0 };
    }
    if (file.startsWith(work)) rmSync(file, { force: true });
    s = writeState(l.stateDir, s, { ...base, state: 'staged', version: m.version, previous: s.committed });
    o.say(`staged ${releaseDir(l, m.version)}`);
    // journal first, link second: a cut in between is completed by the guard at the next start
    s = writeState(l.stateDir, s, { ...base, state: 'trial', version: m.version, previous: s.committed, trial: { version: m.version, startedAt: Date.now(), starts: 0, ...o.trial } });
    pointLink(l, currentLink(l), m.version);
    o.say(`switched current → ${m.version}; on trial: healthy for ${o.trial.settleMs / 1000} s within ${o.trial.windowMs / 1000} s, at most ${o.trial.maxStarts} starts`);
    if (o.restart) {
      const pid = runningPid(l.stateDir);
      if (pid) {
        process.kill(pid, 'SIGTERM');
        o.say(`asked the service (pid ${pid}) to restart`);
      } else o.say('the service is not running; it starts the new version at its next start');
    }
    if (!o.wait) return { state: 'trial', version: m.version, reason: undefined, ms: performance.now() - t0 };
    return await waitVerdict(l, m.version, o, t0);
  } finally {
    unlock();
  }
}

/**
 * Wait for committed or rolled-back. A trial that neither commits nor fails (a release whose
 * runtime hangs before its own window check) is restarted once its window is over, so the
 * guard can count it.
 */
async function waitVerdict(l: Layout, version: string, o: UpdateOptions, t0: number): Promise<UpdateOutcome> {
  const deadline = Date.now() + o.trial.maxStarts * (o.trial.windowMs + 30_000) + 60_000;
  let lastSeq = -1;
  let lastChange = Date.now();
  while (Date.now() < deadline) {
    const s = readState(l.stateDir);
    if (s && s.seq !== lastSeq) {
      lastSeq = s.seq;
      lastChange = Date.now();
      if (s.state === 'trial') o.say(`trial start ${s.trial?.starts ?? 0} of ${s.trial?.maxStarts ?? '?'}`);
    }
    if (s && (s.state === 'committed' || s.state === 'rolled-back') && s.version === version) {
      o.say(s.state === 'committed' ? `committed ${version} (${s.reason ?? ''})` : `rolled back to ${s.committed}: ${s.reason ?? ''}`);
      return { state: s.state, version, reason: s.reason, ms: performance.now() - t0 };
    }
    if (s?.state === 'trial' && Date.now() - lastChange > o.trial.windowMs + 20_000) {
      const pid = runningPid(l.stateDir);
      if (pid) {
        o.say(`no verdict ${Math.round((Date.now() - lastChange) / 1000)} s into the trial: restarting the service (pid ${pid})`);
        process.kill(pid, 'SIGTERM');
      }
      lastChange = Date.now();
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const s = readState(l.stateDir);
  return { state: s?.state ?? 'trial', version, reason: 'no verdict before the deadline', ms: performance.now() - t0 };
}

/** `edgefw update rollback`: back to the previous release by hand (its directory must still be there). */
export function manualRollback(l: Layout, say: (s: string) => void): LifecycleState {
  const s = readState(l.stateDir);
  if (!s) throw new Error(`${l.stateDir}: no update journal`);
  if (s.state === 'trial') throw new Error('an update is on trial; it rolls back by itself if it fails');
  const to = s.previous;
  if (!to || to === s.committed || !existsSync(join(releaseDir(l, to), 'manifest.json'))) throw new Error(`no previous release on disk to go back to (previous: ${to ?? 'none'})`);
  const next = writeState(l.stateDir, s, { state: 'rolled-back', version: s.committed, committed: to, previous: s.committed, floor: s.floor, reason: 'rolled back by hand (edgefw update rollback)', installDir: s.installDir });
  pointLink(l, committedLink(l), to);
  pointLink(l, currentLink(l), to);
  say(`committed and current → ${to}; restart the service to run it`);
  return next;
}
