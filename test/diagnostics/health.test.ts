import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type HealthConfig, healthSchema } from '../../config/diagnostics.js';
import { ManualClock } from '../../drivers/bus/clock.js';
import { HealthMonitor } from '../../firmware/diagnostics/health.js';
import { decodeThrottled, parseGetThrottled, readThermalZones, cpuTemperature } from '../../firmware/diagnostics/host.js';
import { type FaultEvent, FaultRegistry } from '../../firmware/diagnostics/registry.js';
import { Scheduler } from '../../firmware/loop/scheduler.js';
import { FakeTimers, flushPromises } from '../../firmware/loop/timers.js';
import type { UplinkStats } from '../../firmware/uplink/protocol.js';
import { tempDir } from '../helpers/scratch.js';
import { SmallDisk } from '../helpers/tmpfs.js';

const FIXTURES = new URL('../fixtures/host/', import.meta.url).pathname;
const IDLE_UPLINK: UplinkStats = { connected: true, received: 0, acked: 0, pending: 0, dropped: 0, messagesInFlight: 0, connects: 1, lastError: undefined };

function rig(root: string, overrides: Partial<HealthConfig> = {}): {
  config: { -readonly [K in keyof HealthConfig]: HealthConfig[K] };
  reg: FaultRegistry;
  events: FaultEvent[];
  monitor: HealthMonitor;
  clock: ManualClock;
  timers: FakeTimers;
  scheduler: Scheduler;
  uplink: { stats: UplinkStats };
  dir: string;
} {
  const clock = new ManualClock();
  const reg = new FaultRegistry(clock);
  const events: FaultEvent[] = [];
  reg.onEvent((e) => events.push(e));
  const config = { ...healthSchema.parse({ root: join(FIXTURES, root) }), diskMinFreeMb: 0, diskMinFreePercent: 0, ...overrides };
  const timers = new FakeTimers();
  const scheduler = new Scheduler(timers);
  const uplink = { stats: IDLE_UPLINK };
  const dir = tempDir('health');
  const monitor = new HealthMonitor({ config, dataDir: dir, faults: reg, scheduler, clock, uplink: () => uplink.stats });
  return { config, reg, events, monitor, clock, timers, scheduler, uplink, dir };
}
const active = (reg: FaultRegistry): string[] => reg.active().map((f) => `${f.code}@${f.subject}`).sort();

describe('host readers', () => {
  it('decodes get_throttled now-bits and since-boot bits (Raspberry Pi documentation, get_throttled)', () => {
    expect(parseGetThrottled('throttled=0x50005\n')).toMatchObject({ raw: 0x50005, undervoltageNow: true, throttledNow: true, freqCappedNow: false, undervoltageSinceBoot: true, throttledSinceBoot: true, freqCappedSinceBoot: false });
    expect(decodeThrottled(0xa0008)).toMatchObject({ softTempLimitNow: true, freqCappedSinceBoot: true, softTempLimitSinceBoot: true, undervoltageNow: false });
    expect(parseGetThrottled('error=1 error_msg="Command not registered"')).toBeUndefined();
  });

  it('reads millidegree thermal zones and prefers the CPU zone over a hotter one', () => {
    const zones = readThermalZones(join(FIXTURES, 'pc-lowmem'));
    expect(zones).toEqual([
      { zone: 'thermal_zone0', type: 'x86_pkg_temp', celsius: 39 },
      { zone: 'thermal_zone1', type: 'acpitz', celsius: 27.8 },
    ]);
    expect(cpuTemperature(zones)?.type).toBe('x86_pkg_temp');
    expect(readThermalZones('/nonexistent')).toEqual([]);
  });
});

describe('host health faults from fixture /sys trees', () => {
  it('a healthy Pi 4 reports no fault and a full report', async () => {
    const { monitor, reg, dir } = rig('pi4-ok');
    const r = await monitor.check();
    expect(active(reg)).toEqual([]);
    expect(r.cpu?.celsius).toBe(48.31); // 48312 m°C, published to 0.01 °C
    expect(r.throttled?.raw).toBe(0);
    expect(r.undervoltageAlarm).toBe(false);
    expect(r.memory?.availableMb).toBe(2868.59); // 2937440 kB = 2868.59375 MiB
    expect(r.disk?.path).toBe(dir);
    expect(r.storageWritable).toBe(true);
    expect(r.rssMb).toBeGreaterThan(10);
    // no number in the published report carries more than two decimals (no 123.45703125 MiB)
    const numbers = JSON.stringify(r).match(/-?\d+\.\d+(e-?\d+)?/g) ?? [];
    expect(numbers.length).toBeGreaterThan(0);
    expect(numbers.filter((n) => !/^-?\d+\.\d{1,2}$/.test(n))).toEqual([]);
  });

  it('UNDERVOLTAGE, UNDERVOLTAGE_SINCE_BOOT and CPU_THROTTLED from get_throttled 0x50005; UNDERVOLTAGE clears after three good checks', async () => {
    const { monitor, reg, config } = rig('pi4-undervolt');
    await monitor.check();
    expect(active(reg)).toEqual(['CPU_THROTTLED@cpu', 'UNDERVOLTAGE@supply', 'UNDERVOLTAGE_SINCE_BOOT@supply']);
    config.root = join(FIXTURES, 'pi4-undervolt-past'); // supply recovered; since-boot bits stay
    await monitor.check();
    await monitor.check();
    expect(active(reg)).toEqual(['UNDERVOLTAGE@supply', 'UNDERVOLTAGE_SINCE_BOOT@supply']);
    await monitor.check();
    expect(active(reg)).toEqual(['UNDERVOLTAGE_SINCE_BOOT@supply']);
    config.root = join(FIXTURES, 'pi4-ok'); // after a reboot
    await monitor.check();
    expect(active(reg)).toEqual([]);
  });

  it('UNDERVOLTAGE from hwmon in0_lcrit_alarm where there is no vcgencmd', async () => {
    const { monitor, reg } = rig('pi3-hwmon-undervolt');
    const r = await monitor.check();
    expect(r.throttled).toBeUndefined();
    expect(active(reg)).toEqual(['UNDERVOLTAGE@supply']);
  });

  it('CPU_HOT after two hot checks at 82.7 °C, cleared after three cool ones; soft temperature limit is CPU_THROTTLED', async () => {
    const { monitor, reg, config } = rig('pi4-hot');
    await monitor.check();
    expect(active(reg)).toEqual(['CPU_THROTTLED@cpu']);
    await monitor.check();
    expect(active(reg)).toEqual(['CPU_HOT@cpu', 'CPU_THROTTLED@cpu']);
    expect(reg.active().find((f) => f.code === 'CPU_HOT')?.message).toContain('82.7 °C');
    config.root = join(FIXTURES, 'pi4-ok');
    for (let i = 0; i < 3; i++) await monitor.check();
    expect(active(reg)).toEqual([]);
  });

  it('MEMORY_LOW on a PC with 30 MiB available (after two checks), cleared when memory is back', async () => {
    const { monitor, reg, config } = rig('pc-lowmem');
    await monitor.check();
    await monitor.check();
    expect(active(reg)).toEqual(['MEMORY_LOW@memory']);
    config.root = join(FIXTURES, 'pi4-ok');
    await monitor.check();
    expect(active(reg)).toEqual([]);
  });

  it('CLOCK_UNSYNCED when wall time is untrusted past the grace period; cleared once NTP syncs', async () => {
    const { monitor, reg, clock } = rig('pi4-ok', { clockGrace: 60_000 });
    clock.source = 'none';
    await monitor.check();
    expect(active(reg)).toEqual([]);
    clock.advance(61_000);
    await monitor.check();
    expect(active(reg)).toEqual(['CLOCK_UNSYNCED@clock']);
    clock.markTrusted('system');
    await monitor.check();
    expect(active(reg)).toEqual([]);
  });

  it('LOOP_OVERRUN when a task is still running at its next tick or the loop stalls across ticks; cleared when it keeps time again', async () => {
    const { monitor, reg, timers, scheduler } = rig('pi4-ok');
    let release: () => void = () => {};
    let slow = true;
    scheduler.every('env', 100, () => (slow ? new Promise<void>((r) => (release = r)) : undefined));
    await timers.advance(350);
    await monitor.check();
    expect(active(reg)).toEqual(['LOOP_OVERRUN@env']);
    expect(reg.active()[0]?.message).toMatch(/ticks skipped/);
    slow = false;
    release();
    await flushPromises();
    await timers.advance(300);
    await monitor.check();
    expect(active(reg)).toEqual([]);
    timers.block(550); // the loop was blocked: five ticks fall inside the stall
    await timers.advance(10);
    await monitor.check();
    expect(active(reg)).toEqual(['LOOP_OVERRUN@env']);
    scheduler.stop();
  });

  it('EVENT_LOOP_LAG when the event loop is really blocked (two checks in a row), cleared when it runs freely', async () => {
    const { monitor, reg } = rig('pi4-ok', { loopLagMs: 250 });
    monitor.start();
    try {
      for (let i = 0; i < 2; i++) {
        await new Promise((r) => setTimeout(r, 30));
        const until = performance.now() + 600;
        while (performance.now() < until) {
          /* a synchronous stall, as a blocking read on a dying SD card */
        }
        await new Promise((r) => setTimeout(r, 30));
        const r = await monitor.check();
        expect(r.loopDelay.maxMs).toBeGreaterThan(500);
      }
      expect(active(reg)).toEqual(['EVENT_LOOP_LAG@runtime']);
      // on a loaded test machine one quiet interval may still see a scheduling hiccup: allow a few
      for (let i = 0; i < 5 && reg.isActive('EVENT_LOOP_LAG', 'runtime'); i++) {
        await new Promise((r) => setTimeout(r, 100));
        await monitor.check();
      }
      expect(active(reg)).toEqual([]);
    } finally {
      monitor.stop();
    }
  });
});

/**
 * A real full disk: a 2 MiB tmpfs mounted over the data directory (the tests run as root, as the
 * service's ExecStartPre does on a box). Filling it raises DISK_LOW and then STORAGE_UNWRITABLE.
 */
describe('storage faults on a real, small file system', () => {
  let mnt: string;
  beforeAll(() => {
    mnt = SmallDisk.mount(2048).dir; // unmounted and removed when the file ends
  });

  it('DISK_LOW below 1 MiB free, STORAGE_UNWRITABLE when full; both clear once space is freed', async () => {
    const clock = new ManualClock();
    const reg = new FaultRegistry(clock);
    const config = { ...healthSchema.parse({ root: join(FIXTURES, 'pi4-ok') }), diskMinFreeMb: 1, diskMinFreePercent: 0 };
    const monitor = new HealthMonitor({ config, dataDir: mnt, faults: reg, scheduler: new Scheduler(new FakeTimers()), clock, uplink: () => IDLE_UPLINK });
    await monitor.check();
    expect(active(reg)).toEqual([]);
    mkdirSync(join(mnt, 'outbox'), { recursive: true });
    writeFileSync(join(mnt, 'outbox', 'big'), Buffer.alloc(1536 * 1024));
    const r = await monitor.check();
    expect(r.disk?.freeMb).toBeLessThan(1);
    expect(active(reg)).toEqual([`DISK_LOW@${mnt}`]);
    try {
      writeFileSync(join(mnt, 'outbox', 'fill'), Buffer.alloc(1024 * 1024));
    } catch (e) {
      expect((e as NodeJS.ErrnoException).code).toBe('ENOSPC'); // tmpfs keeps what fitted
    }
    await monitor.check();
    expect(active(reg)).toEqual([`DISK_LOW@${mnt}`, `STORAGE_UNWRITABLE@${mnt}`]);
    expect(reg.active().find((f) => f.code === 'STORAGE_UNWRITABLE')?.message).toContain('ENOSPC');
    rmSync(join(mnt, 'outbox'), { recursive: true });
    await monitor.check();
    await monitor.check(); // DISK_LOW clears after two good checks
    expect(active(reg)).toEqual([]);
  });
});
