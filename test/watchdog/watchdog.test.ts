import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type PeriodicTask, Scheduler } from '../../firmware/loop/scheduler.js';
import { FakeTimers } from '../../firmware/loop/timers.js';
import { type Notifier, dgramNotifier, subprocessNotifier, systemdNotifier, watchdogIntervalMs } from '../../firmware/watchdog/notify.js';
import { LAST_EXIT_FILE, RunRecord } from '../../firmware/watchdog/run-record.js';
import { Watchdog } from '../../firmware/watchdog/watchdog.js';
import { silentLog } from '../helpers/drivers.js';
import { NotifyHarness } from '../helpers/notify-socket.js';
import { tempDir } from '../helpers/scratch.js';

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

/**
 * The watchdog runs on the scheduler's fake clock: every ping, every withheld one and a blocked
 * loop are exact instants, and a loaded machine cannot move them. The pings still go to the
 * harness socket as datagrams, and the test waits (without a time bound) until they arrived.
 */
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
  });

  interface Rig {
    wd: Watchdog;
    timers: FakeTimers;
    sampling: PeriodicTask;
    /** every notification with the fake time it was sent at */
    sent: { atMs: number; state: string }[];
    pingTimes: () => number[];
  }

  function rig(storageStallMs = 10_000): Rig {
    dir = tempDir('wd');
    const timers = new FakeTimers();
    scheduler = new Scheduler(timers);
    const sampling = scheduler.every('sampling', 50, () => undefined); // the loop's own work
    const record = new RunRecord(dir);
    record.begin(1, Date.now());
    const sent: { atMs: number; state: string }[] = [];
    const socket = dgramNotifier(h.path);
    const notifier: Notifier = {
      via: socket.via,
      notify: (state) => {
        sent.push({ atMs: timers.now(), state });
        return socket.notify(state);
      },
      close: () => socket.close(),
    };
    const wd = new Watchdog({ intervalMs: 400, storageStallMs }, scheduler, notifier, record, silentLog);
    return { wd, timers, sampling, sent, pingTimes: () => sent.filter((m) => m.state === 'WATCHDOG=1').map((m) => m.atMs) };
  }

  it('READY once, then WATCHDOG=1 every 200 ms; no ping while the loop is blocked for 1.2 s', async () => {
    const { wd, timers, sent, pingTimes } = rig();
    const before = h.with('WATCHDOG=1').length;
    await wd.ready('ok');
    await timers.advance(1000);
    expect(sent[0]).toEqual({ atMs: 0, state: 'READY=1\nSTATUS=ok' });
    expect(pingTimes()).toEqual([200, 400, 600, 800, 1000]);
    // the datagrams reached the socket that stands in for systemd
    await h.waitFor('READY and five pings', () => h.messages.some((m) => m.text === 'READY=1\nSTATUS=ok') && h.with('WATCHDOG=1').length >= before + 5, 20_000);
    // the loop is blocked for 1.2 s after the ping at 1000: nothing fires until 2200, and the
    // ticks that fell inside the block are skipped, not made up in a burst
    timers.block(1200);
    await timers.advance(400);
    expect(pingTimes()).toEqual([200, 400, 600, 800, 1000, 2200, 2400, 2600]);
    const gaps = pingTimes().slice(1).map((t, i) => t - (pingTimes()[i] as number));
    expect(Math.max(...gaps)).toBe(1200); // a WatchdogSec of 400 ms would have expired: systemd restarts the box
    expect(wd.stats()).toEqual({ pings: 8, withheld: 0, withholding: undefined });
    expect(sent.filter((m) => m.state.startsWith('READY=1'))).toHaveLength(1);
    await h.waitFor('all eight pings', () => h.with('WATCHDOG=1').length >= before + 8, 20_000);
  });

  it('withholds pings while the sampling loop does not advance, even though the ping timer fires', async () => {
    const { wd, timers, sampling, pingTimes } = rig();
    await wd.ready('ok');
    await timers.advance(400);
    expect(pingTimes()).toEqual([200, 400]);
    sampling.cancel(); // the loop's work stops; only the watchdog's own timer is left
    await timers.advance(400);
    expect(pingTimes()).toEqual([200, 400]);
    expect(wd.stats()).toEqual({ pings: 2, withheld: 2, withholding: 'sampling loop did not advance' });
    expect((JSON.parse(readFileSync(join(dir, 'run-state.json'), 'utf8')) as { withheld?: string }).withheld).toBe('sampling loop did not advance');
  });

  it('withholds pings while storage commits nothing, records why, and resumes once it commits', async () => {
    const { wd, timers, pingTimes } = rig(300);
    await wd.ready('ok');
    wd.submitted(10); // at 0, nothing committed since
    await timers.advance(200);
    expect(pingTimes()).toEqual([200]); // stalled for 200 ms: within 300
    await timers.advance(200);
    expect(wd.stats().withholding).toBe('storage committed nothing for 400 ms with 10 samples waiting');
    expect(pingTimes()).toEqual([200]);
    const state = JSON.parse(readFileSync(join(dir, 'run-state.json'), 'utf8')) as { withheld?: string };
    expect(state.withheld).toBe('storage committed nothing for 400 ms with 10 samples waiting');
    await timers.advance(200);
    expect(wd.stats()).toMatchObject({ pings: 1, withheld: 2 });
    wd.committed(10);
    await timers.advance(200);
    expect(pingTimes()).toEqual([200, 800]);
    expect(wd.stats().withholding).toBeUndefined();
    expect((JSON.parse(readFileSync(join(dir, 'run-state.json'), 'utf8')) as { withheld?: string }).withheld).toBeUndefined();
  });
});

describe('why the previous run ended', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('runrec');
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
