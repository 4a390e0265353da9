import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, finished } from '../helpers/cli.js';
import { freePort } from '../helpers/mosquitto.js';
import { NotifyHarness } from '../helpers/notify-socket.js';

/**
 * `edgefw run` as systemd runs it (Type=notify, WatchdogSec=2): NOTIFY_SOCKET points at a
 * harness socket, WATCHDOG_USEC at 2 s. READY=1 once the loop runs, WATCHDOG=1 about every
 * second, STOPPING=1 on SIGTERM; a kill -9 is reported as a crash at the next start.
 */
describe('edgefw run under a stand-in for systemd', () => {
  let h: NotifyHarness;
  let dir: string;
  let profile: string;
  beforeAll(async () => {
    h = await NotifyHarness.start();
    dir = mkdtempSync(join(tmpdir(), 'edgefw-svc-'));
    const demo = readFileSync('config/profiles/demo.yaml', 'utf8')
      .replace(/port: 1883 \}/, `port: ${await freePort()} }`)
      .replace(/dir: \.edgefw-data/, `dir: ${join(dir, 'data')}`);
    profile = join(dir, 'demo.yaml');
    writeFileSync(profile, demo);
  });
  afterAll(async () => {
    await h.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = (): ChildProcess & { out: { stdout: string; stderr: string } } => {
    const child = spawn(process.execPath, [CLI, 'run', '--profile', profile], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NOTIFY_SOCKET: h.path, WATCHDOG_USEC: '2000000', EDGEFW_LOG_LEVEL: 'info' },
    });
    const out = { stdout: '', stderr: '' };
    child.stdout?.on('data', (d: Buffer) => (out.stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out.stderr += d.toString()));
    return Object.assign(child, { out });
  };

  it('READY, pings at half of WatchdogSec, STOPPING on SIGTERM and a clean record; a kill -9 is reported as a crash next time', async () => {
    const t0 = Date.now();
    const a = start();
    try {
      await h.waitFor('READY', () => h.messages.some((m) => m.atMs >= t0 && /^READY=1\nSTATUS=sampling \d+ devices?, boot \d+$/.test(m.text)), 30_000);
      const ready = h.messages.find((m) => m.text.startsWith('READY=1'))?.atMs ?? 0;
      // pings come (a liveness wait: a loaded machine only makes them late), and never more often
      // than every WatchdogSec/2 = 1 s: a late tick is skipped, not made up, so load cannot
      // break this upper bound
      await h.waitFor('two pings', () => h.with('WATCHDOG=1').filter((m) => m.atMs > ready).length >= 2, 20_000);
      const pings = h.with('WATCHDOG=1').filter((m) => m.atMs > ready);
      const spanS = ((pings.at(-1)?.atMs ?? ready) - ready) / 1000;
      expect(pings.length).toBeLessThanOrEqual(Math.floor(spanS) + 1);
      a.kill('SIGTERM');
      const done = await finished(a, 15_000);
      expect(done.code).toBe(0);
      expect(h.with('STOPPING=1').filter((m) => m.atMs > t0)).toHaveLength(1);
      expect(JSON.parse(readFileSync(join(dir, 'data', 'run-state.json'), 'utf8'))).toMatchObject({ state: 'stopped' });
    } finally {
      a.kill('SIGKILL');
    }

    const b = start();
    await h.waitFor('clean stop reported', () => /previous run ended: clean/.test(b.out.stdout), 30_000);
    b.kill('SIGKILL');
    await finished(b, 5000);

    const c = start();
    try {
      await h.waitFor('crash reported', () => /previous run ended: crash/.test(c.out.stdout), 30_000).catch((e: unknown) => {
        throw new Error(`${String(e)}\nstdout of the third run:\n${c.out.stdout}${c.out.stderr}`);
      });
      c.kill('SIGTERM');
      await finished(c, 5000);
    } finally {
      c.kill('SIGKILL');
    }
  }, 90_000);
});
