import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { readState, type LifecycleState } from '../../firmware/lifecycle/state.js';
import { readPrivateKey } from '../../firmware/security/keys.js';
import { buildBundle } from '../../tools/lifecycle/bundle.js';
import type { Target } from '../../tools/lifecycle/manifest.js';
import { simulatedBoxProfile } from './profiles.js';
import { atEnd, tempDir, track } from './scratch.js';

/**
 * A box in a scratch root for lifecycle tests: releases under <root>/opt/edgefw, state under
 * <root>/var/lib/edgefw, and a supervisor that does what the systemd unit does — run the
 * start-up guard from the committed release (ExecStartPre=), start the current release's CLI
 * (ExecStart=), and start it again whenever it ends (Restart=always). No systemd involved.
 */
export const REPO = resolve('.');
export const CLI = join(REPO, 'dist/tools/cli.js');

/** Run a built CLI (the repo's or a release's) to completion. */
export function cli(args: readonly string[], entry = CLI, timeoutMs = 60_000): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [entry, ...args], { encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/**
 * A source tree for a test release: the current dist/ with another version in package.json and
 * an optional patch (a release that crashes at start, one that never becomes healthy).
 */
export function releaseSource(workDir: string, version: string, patch?: (dir: string) => void): string {
  const dir = join(workDir, `src-${version}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(join(REPO, 'dist'), join(dir, 'dist'), { recursive: true, filter: (s) => !s.endsWith('.map') && !s.endsWith('.tsbuildinfo') });
  for (const d of ['bin', 'tools/systemd', 'config/profiles', 'firmware/site/static']) cpSync(join(REPO, d), join(dir, d), { recursive: true });
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ ...pkg, version }, null, 2));
  patch?.(dir);
  return dir;
}

/**
 * Run a built CLI without blocking this process: the supervisor restarting the service lives
 * on this event loop, and an update waits for those restarts.
 */
export function cliAsync(args: readonly string[], entry = CLI, timeoutMs = 120_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = track(spawn(process.execPath, [entry, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('close', (code) => {
      clearTimeout(t);
      resolve({ code, out });
    });
  });
}

/** Build a test bundle (no node_modules: the scratch root links the repo's) from a source tree, in this process. */
export async function testBundle(src: string, key: string, out: string, target: Target = 'linux-x64'): Promise<string> {
  await buildBundle({ repo: src, target, ...readPrivateKey(key), out, deps: 'none' });
  return out;
}

export interface Start {
  readonly version: string;
  readonly pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class ScratchBox {
  readonly root: string;
  readonly stateDir: string;
  readonly installDir: string;
  readonly starts: Start[] = [];
  private child: ChildProcess | undefined;
  private guard: ChildProcess | undefined;
  private on = false;
  private loop: Promise<void> | undefined;
  log = '';

  constructor(parent: string, name: string) {
    this.root = join(parent, name);
    this.stateDir = join(this.root, 'var/lib/edgefw');
    this.installDir = join(this.root, 'opt/edgefw');
    mkdirSync(join(this.root, 'etc'), { recursive: true });
    mkdirSync(join(this.root, 'boot/firmware'), { recursive: true });
    writeFileSync(join(this.root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
    writeFileSync(join(this.root, 'etc/group'), 'root:x:0:\ndialout:x:20:\nvideo:x:44:\n');
    writeFileSync(join(this.root, 'boot/firmware/config.txt'), '# Raspberry Pi OS\n#dtparam=i2c_arm=on\ndtparam=audio=on\n[pi4]\narm_boost=1\n');
    // test bundles carry no node_modules; a box's releases find the repo's through the parent dir
    mkdirSync(this.installDir, { recursive: true });
    symlinkSync(join(REPO, 'node_modules'), join(this.installDir, 'node_modules'));
  }

  /** A profile for this box: simulated BME280s at 20 Hz, outbox in the state dir. */
  profile(brokerUrl: string, boxId: string, extra: readonly string[] = []): string {
    const file = join(this.root, '..', `${basename(this.root)}-profile.yaml`);
    writeFileSync(
      file,
      simulatedBoxProfile({
        box: boxId,
        uplink: `url: "${brokerUrl}", reconnect: { min: 500, max: 1000 }, batch: { maxDelay: 50 }, outbox: { commitInterval: 100 }`,
        storageDir: this.stateDir,
        devices: ['id: env, type: bme280, bus: i2c1, address: 0x76, interval: 50'],
        more: extra,
      }),
    );
    return file;
  }

  state(): LifecycleState | undefined {
    return readState(this.stateDir);
  }

  link(name: 'current' | 'committed'): string | undefined {
    try {
      return basename(realpathSync(join(this.installDir, name)));
    } catch {
      return undefined;
    }
  }

  /** The CLI of the committed release (what a technician on the box runs). */
  get boxCli(): string {
    return join(this.installDir, 'committed/bin/edgefw.js');
  }

  /** Power on: guard + service, restarted like Restart=always (RestartSec=restartMs). */
  powerOn(restartMs = 200): void {
    if (this.on) return;
    this.on = true;
    // the supervisor restarts what dies: when the test ends, cut the power first, so nothing is
    // started again after the clean-up killed it
    atEnd(() => this.powerCut());
    this.loop = (async () => {
      while (this.on) {
        const guard = track(spawn(process.execPath, [join(this.installDir, 'committed/dist/tools/lifecycle/guard.js'), '--root', this.root], { stdio: ['ignore', 'pipe', 'pipe'] }), 'file');
        this.guard = guard;
        guard.stdout?.on('data', (d: Buffer) => (this.log += d.toString()));
        guard.stderr?.on('data', (d: Buffer) => (this.log += d.toString()));
        await new Promise((r) => guard.once('close', r));
        this.guard = undefined;
        if (!this.on) break;
        const version = this.link('current') ?? '?';
        const child = track(spawn(process.execPath, [join(this.installDir, 'current/bin/edgefw.js'), 'run', '--profile', join(this.root, 'etc/edgefw/profile.yaml'), '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'pipe'] }), 'file');
        this.child = child;
        const start: Start = { version, pid: child.pid ?? -1, code: null, signal: null };
        this.starts.push(start);
        child.stderr?.on('data', (d: Buffer) => (this.log += d.toString().slice(0, 2000)));
        await new Promise<void>((r) =>
          child.once('close', (code, signal) => {
            start.code = code;
            start.signal = signal;
            r();
          }),
        );
        this.child = undefined;
        if (this.on) await new Promise((r) => setTimeout(r, restartMs));
      }
    })();
  }

  /** The power goes: every process of the box dies at once (SIGKILL), nothing restarts. */
  async powerCut(): Promise<void> {
    this.on = false;
    this.guard?.kill('SIGKILL');
    this.child?.kill('SIGKILL');
    await this.loop;
  }

  /** systemctl stop: SIGTERM, wait. */
  async stop(): Promise<void> {
    this.on = false;
    this.child?.kill('SIGTERM');
    await this.loop;
  }

  /** The start currently running (its release version), if any. */
  running(): Start | undefined {
    const last = this.starts.at(-1);
    return last && last.code === null && last.signal === null && this.child ? last : undefined;
  }

  /** Wait until predicate holds, polling every 50 ms. */
  async until(what: string, predicate: () => boolean, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n--- box log ---\n${this.log.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

export function scratchDir(name: string): string {
  return tempDir(name);
}

export function exists(p: string): boolean {
  return existsSync(p);
}
