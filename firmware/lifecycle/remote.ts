import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { readState } from './state.js';

export interface RemoteUpdateArgs {
  /** http(s) URL of the bundle */
  readonly url: string;
  /** largest bundle to download, MB (default 256) */
  readonly maxMb?: number;
  /** trial: healthy for `settle` s within `window` s of each start (defaults docs/install.md) */
  readonly settle?: number;
  readonly window?: number;
}

export type RemoteUpdateStart = { readonly ok: true; readonly pid: number; readonly log: string } | { readonly ok: false; readonly reason: string; readonly error: string };

/**
 * The signed `update` command: hand the update to `edgefw update URL --no-wait`, run from the
 * committed release in a process of its own, so the download, the checks and the unpacking
 * never run on the sampling thread, and a crash of either side leaves the other whole. That
 * process journals every step (the running box publishes them on the retained `update`
 * topic), switches `current` and asks this service to restart; the new version then proves
 * itself (trial.ts) or is rolled back. Its output goes to <state>/update/agent.log.
 */
export function startRemoteUpdate(stateDir: string, args: RemoteUpdateArgs): RemoteUpdateStart {
  if (!/^https?:\/\/[^\s]+$/.test(args.url) || args.url.length > 2048) return { ok: false, reason: 'bad-args', error: 'url must be an http:// or https:// URL of a bundle' };
  let s;
  try {
    s = readState(stateDir);
  } catch (e) {
    return { ok: false, reason: 'journal', error: (e as Error).message };
  }
  if (!s) return { ok: false, reason: 'not-installed', error: 'this box was not installed from a release bundle (no update journal; docs/install.md)' };
  if (s.state === 'trial') return { ok: false, reason: 'busy', error: `${s.trial?.version ?? 'a version'} is on trial; wait for its verdict` };
  const cli = join(s.installDir, 'committed/bin/edgefw.js');
  if (!existsSync(cli)) return { ok: false, reason: 'not-installed', error: `${cli} is missing` };
  const dir = join(stateDir, 'update');
  mkdirSync(dir, { recursive: true });
  const log = join(dir, 'agent.log');
  const fd = openSync(log, 'a');
  try {
    // the root of the box (a scratch tree in tests): where the release-key trust list lives
    const root = s.installDir.endsWith('/opt/edgefw') ? s.installDir.slice(0, -'/opt/edgefw'.length) || '/' : '/';
    const trial = [...(args.settle ? ['--settle', String(args.settle)] : []), ...(args.window ? ['--window', String(args.window)] : [])];
    const argv = [cli, 'update', args.url, '--no-wait', '--root', root, '--state-dir', stateDir, '--install-dir', s.installDir, '--max-mb', String(args.maxMb ?? 256), ...trial];
    const child = spawn(process.execPath, argv, { detached: true, stdio: ['ignore', fd, fd] });
    child.unref();
    return { ok: true, pid: child.pid ?? -1, log };
  } finally {
    closeSync(fd);
  }
}
