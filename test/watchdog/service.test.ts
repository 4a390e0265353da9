import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finished, startCli } from '../helpers/cli.js';
import { freePort } from '../helpers/mosquitto.js';
import { NotifyHarness } from '../helpers/notify-socket.js';
import { tempDir } from '../helpers/scratch.js';

/**
 * `edgefw run` as systemd runs it (Type=notify, WatchdogSec=2): NOTIFY_SOCKET points at a
 * harness socket, WATCHDOG_USEC at 2 s. READY=1 once the loop runs, WATCHDOG=1 every second, STOPPING=1 on SIGTERM; a kill -9 is reported as a crash at the next start.
 */
describe('edgefw run under a stand-in for systemd', () => {
  let h: NotifyHarness;
  let dir: string;
  let profile: string;
  beforeAll(async () => {
    h = await NotifyHarness.start();
    dir = tempDir('svc');
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

  const start = (): ReturnType<typeof startCli> => startCli(['run', '--profile', profile], { NOTIFY_SOCKET: h.path, WATCHDOG_USEC: '2000000', EDGEFW_LOG_LEVEL: 'info' });

  it('READY, pings at half of WatchdogSec, STOPPING on SIGTERM and a clean record; a kill -9 is reported as a crash next time', async () => {
    const t0 = Date.now();
    const a = start();
    try {
      await h.waitFor('READY', () => h.messages.some((m) => m.atMs >= t0 && /^READY=1\nSTATUS=sampling \d+ devices?, boot \d+$/.test(m.text)), 30_000);
      // the ping period the runtime took from WATCHDOG_USEC (the cadence itself, every period on
      // the scheduler's clock with late ticks skipped, is proved on a fake clock in watchdog.test.ts)
      await h.waitFor('the watchdog armed', () => a.out.stdout.includes('systemd watchdog armed'), 20_000);
      expect(a.out.stdout).toMatch(/"watchdogMs":2000,"pingMs":1000,"msg":"systemd watchdog armed/);
      // pings come: a liveness wait, whatever the load
      await h.waitFor('two pings', () => h.with('WATCHDOG=1').filter((m) => m.atMs >= t0).length >= 2, 20_000);
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
