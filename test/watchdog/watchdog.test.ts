import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type PeriodicTask, Scheduler } from '../../firmware/loop/scheduler.js';
import { dgramNotifier, subprocessNotifier, systemdNotifier, watchdogIntervalMs } from '../../firmware/watchdog/notify.js';
import { LAST_EXIT_FILE, RunRecord } from '../../firmware/watchdog/run-record.js';
import { Watchdog } from '../../firmware/watchdog/watchdog.js';
import { silentLog } from '../helpers/drivers.js';
import { NotifyHarness } from '../helpers/notify-socket.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const busy = (ms: number): void => {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    /* the loop is wedged */
  }
};

describe('sd_notify against a harness socket standing in for systemd', () => {
  let h: NotifyHarness;
  beforeAll(async () => {
    h = await NotifyHarness.start();
  });
  afterAll(async () => {
    await h.stop();
  });

  it('unix-dgram sends each state as one datagram from our own process', async () => {
    const n = systemdNotifier({ NOTIFY_SOCKET: h.path });
    expect(n?.via).toBe('unix-dgram');
    await n?.notify('READY=1\nSTATUS=sampling 2 devices');
    await h.waitFor('READY', () => h.with('READY=1').length === 1);
    expect(h.with('READY=1')[0]?.text).toBe('READY=1\nSTATUS=sampling 2 devices');
    n?.close();
  });

  it('the systemd-notify fallback (abstract sockets) sends MAINPID with the state', async () => {
    const before = h.messages.length;
    await subprocessNotifier({ ...process.env, NOTIFY_SOCKET: h.path }).notify('STATUS=fallback');
    await h.waitFor('fallback status', () => h.messages.slice(before).some((m) => m.text.includes('STATUS=fallback')));
    expect(h.messages.slice(before).find((m) => m.text.includes('STATUS=fallback'))?.text).toContain(`MAINPID=${process.pid}`);
  });

  it('reads WatchdogSec from WATCHDOG_USEC, only when WATCHDOG_PID is ours', () => {
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '30000000' })).toBe(30_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: String(process.pid) })).toBe(30_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '1' })).toBeUndefined();
    expect(watchdogIntervalMs({})).toBeUndefined();
    expect(systemdNotifier({})).toBeUndefined();
    expect(systemdNotifier({ NOTIFY_SOCKET: '@/org/freedesktop/systemd1/notify' })?.via).toBe('systemd-notify');
  });
});

describe('health-gated watchdog', () => {
  let h: NotifyHarness;
  let dir: string;
  let scheduler: Scheduler;
  beforeAll(async () => {
    h = await NotifyHarness.start();
  });
  afterAll(async () => {
    await h.stop();
  });
  afterEach(() => {
    scheduler.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A liveness wait on a loaded machine: what the box does, not how soon. */
  const until = async (what: string, p: () => boolean, ms = 20_000): Promise<void> => {
    const deadline = Date.now() + ms;
    while (!p()) {
      if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
      await sleep(20);
    }
  };

  function rig(storageStallMs = 10_000): { wd: Watchdog; record: RunRecord; sampling: PeriodicTask } {
    dir = mkdtempSync(join(tmpdir(), 'edgefw-wd-'));
    scheduler = new Scheduler();
    const sampling = scheduler.every('sampling', 50, () => undefined); // the loop's own work
    const record = new RunRecord(dir);
    record.begin(1, Date.now());
    const wd = new Watchdog({ intervalMs: 400, storageStallMs }, scheduler, dgramNotifier(h.path), record, silentLog);
    return { wd, record, sampling };
  }

  it('READY once, then WATCHDOG=1 every ~200 ms; no ping while the loop is blocked for 1.2 s', async () => {
    const { wd } = rig();
    const t0 = Date.now();
    await wd.ready('ok');
    // pings come (a liveness wait: load only makes them late) and never more often than every
    // 200 ms: late ticks are skipped, not made up, so load cannot break the upper bound
    await h.waitFor('three pings', () => h.with('WATCHDOG=1').filter((m) => m.atMs >= t0).length >= 3, 20_000);
    const before = h.with('WATCHDOG=1').filter((m) => m.atMs >= t0);
    expect(h.messages.some((m) => m.text === 'READY=1\nSTATUS=ok')).toBe(true);
    expect(before.length).toBeLessThanOrEqual(Math.floor(((before.at(-1)?.atMs ?? t0) - t0) / 200) + 1);
    const blockStart = Date.now();
    busy(1200);
    const blockEnd = Date.now();
    await sleep(500);
    const during = h.with('WATCHDOG=1').filter((m) => m.atMs > blockStart + 20 && m.atMs < blockEnd);
    expect(during).toEqual([]);
    // a WatchdogSec of 400 ms would have expired: the longest gap between pings covers the block
    const times = h.with('WATCHDOG=1').filter((m) => m.atMs >= t0).map((m) => m.atMs);
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    expect(Math.max(...gaps)).toBeGreaterThan(1100);
    expect(wd.stats().pings).toBe(times.length);
  });

  it('withholds pings while the sampling loop does not advance, even though the ping timer fires', async () => {
    const { wd, sampling } = rig();
    await wd.ready('ok');
    await until('a ping', () => wd.stats().pings > 0);
    const pings = wd.stats().pings;
    sampling.cancel(); // the loop's work stops; only the watchdog's own timer is left
    await until('two withheld pings', () => wd.stats().withheld >= 2);
    expect(wd.stats().pings).toBeLessThanOrEqual(pings + 1); // one tick may straddle the cancel
    expect(wd.stats().withholding).toBe('sampling loop did not advance');
  });

  it('withholds pings while storage commits nothing, records why, and resumes once it commits', async () => {
    const { wd } = rig(300);
    await wd.ready('ok');
    wd.submitted(10);
    await until('pings withheld', () => wd.stats().withholding !== undefined);
    expect(wd.stats().withholding).toMatch(/^storage committed nothing for \d+ ms with 10 samples waiting$/);
    const state = JSON.parse(readFileSync(join(dir, 'run-state.json'), 'utf8')) as { withheld?: string };
    expect(state.withheld).toMatch(/storage committed nothing/);
    const n = wd.stats().pings;
    wd.committed(10);
    await until('pings resumed', () => wd.stats().withholding === undefined && wd.stats().pings > n);
    expect((JSON.parse(readFileSync(join(dir, 'run-state.json'), 'utf8')) as { withheld?: string }).withheld).toBeUndefined();
  });
});

describe('why the previous run ended', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'edgefw-runrec-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('first start, clean stop, crash, systemd watchdog kill and withheld pings', () => {
    const r1 = new RunRecord(dir);
    expect(r1.begin(1, 1000).end).toBe('first-start');
    r1.end(2000);
    const r2 = new RunRecord(dir);
    expect(r2.begin(2, 3000)).toMatchObject({ end: 'clean', boot: 1 });
    // r2 never ends: kill -9, power cut, uncaught exception
    const r3 = new RunRecord(dir);
    expect(r3.begin(3, 4000)).toMatchObject({ end: 'crash', boot: 2, detail: undefined });
    // systemd's ExecStopPost wrote its verdict after r3 started
    writeFileSync(join(dir, LAST_EXIT_FILE), 'watchdog signal ABRT\n');
    const r4 = new RunRecord(dir);
    expect(r4.begin(4, Date.now())).toMatchObject({ end: 'watchdog', boot: 3, detail: 'systemd: watchdog signal ABRT' });
    r4.withholding('sampling loop did not advance', Date.now());
    const r5 = new RunRecord(dir);
    expect(r5.begin(5, Date.now())).toMatchObject({ end: 'watchdog', boot: 4, detail: 'watchdog pings withheld: sampling loop did not advance' });
    writeFileSync(join(dir, LAST_EXIT_FILE), 'exit-code exited 1\n');
    expect(new RunRecord(dir).begin(6, Date.now())).toMatchObject({ end: 'crash', detail: 'systemd: exit-code exited 1' });
  });
});

describe('run record on a disk that cannot be written', () => {
  it('never throws: the run goes on and the record says why it could not write', () => {
    const r = new RunRecord('/proc/edgefw-no-such-dir');
    expect(r.begin(1, Date.now())).toMatchObject({ end: 'first-start' });
    expect(r.writeError).toBe('ENOENT');
    expect(() => r.withholding('x', Date.now())).not.toThrow();
    expect(() => r.end(Date.now())).not.toThrow();
  });
});
