import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import type { HealthConfig } from '../../config/diagnostics.js';
import type { Clock } from '../../drivers/bus/clock.js';
import { roundTo } from '../../drivers/precision.js';
import type { Scheduler, TaskStats } from '../loop/scheduler.js';
import type { UplinkStats } from '../uplink/protocol.js';
import {
  type DiskInfo,
  type MemoryInfo,
  type ThermalZone,
  type Throttled,
  cpuTemperature,
  readDisk,
  readGetThrottled,
  readHwmonUndervoltage,
  readMemInfo,
  readThermalZones,
} from './host.js';
import type { FaultSink } from './registry.js';

/** The periodic health report, published on <prefix>/<box>/health and shown by `edgefw diag`. */
export interface HealthReport {
  readonly t: number;
  readonly uptimeS: number;
  readonly cpu: ThermalZone | undefined;
  readonly throttled: Throttled | undefined;
  /** hwmon rpi_volt in0_lcrit_alarm: under-voltage now (undefined: not a Pi) */
  readonly undervoltageAlarm: boolean | undefined;
  readonly memory: MemoryInfo | undefined;
  readonly disk: DiskInfo | undefined;
  readonly storageWritable: boolean;
  /** event-loop delay over the last interval, ms (perf_hooks.monitorEventLoopDelay) */
  readonly loopDelay: { readonly p50Ms: number; readonly p99Ms: number; readonly maxMs: number };
  readonly rssMb: number;
  /** scheduler tasks: runs, overruns, missed ticks and lateness since start */
  readonly tasks: readonly TaskStats[];
  readonly uplink: UplinkStats;
  readonly timeSource: string;
}

export interface HealthDeps {
  readonly config: HealthConfig;
  readonly dataDir: string;
  readonly faults: FaultSink;
  readonly scheduler: Scheduler;
  readonly clock: Clock;
  readonly uplink: () => UplinkStats;
  /** scheduler tasks that sample devices (LOOP_OVERRUN is about them; a stall of the whole loop is EVENT_LOOP_LAG); default: every task */
  readonly sampling?: readonly string[];
}

const r1 = (x: number): number => Math.round(x * 10) / 10;

/**
 * Host health: reads /sys and /proc (under config.root), the data directory, the event loop,
 * the scheduler and the uplink, and turns what it sees into faults:
 * CPU_HOT, UNDERVOLTAGE, UNDERVOLTAGE_SINCE_BOOT, CPU_THROTTLED, MEMORY_LOW, DISK_LOW,
 * STORAGE_UNWRITABLE, EVENT_LOOP_LAG, LOOP_OVERRUN (per task), CLOCK_UNSYNCED. The uplink's state
 * and outbox depth go into the report (the outbox raises its own faults).
 * Debounce and hysteresis are the catalogue's; this class reports one observation per check.
 */
export class HealthMonitor {
  private readonly loop: IntervalHistogram;
  private readonly startMono: number;
  private readonly prevTask = new Map<string, number>();

  constructor(private readonly deps: HealthDeps) {
    // 10 ms resolution: the loop-delay sampler itself wakes 100 times a second at most
    this.loop = monitorEventLoopDelay({ resolution: 10 });
    this.startMono = deps.clock.monoMs();
  }

  start(): void {
    this.loop.enable();
  }

  stop(): void {
    this.loop.disable();
  }

  /** One health check: read everything, update faults, return the report. */
  async check(): Promise<HealthReport> {
    const { config, faults } = this.deps;
    const root = config.root;
    const zones = readThermalZones(root);
    const cpu = cpuTemperature(zones);
    if (cpu) {
      if (cpu.celsius > config.cpuHotC) faults.raise({ code: 'CPU_HOT', subject: 'cpu', message: `CPU at ${r1(cpu.celsius)} °C (limit ${config.cpuHotC} °C, ${cpu.zone} ${cpu.type})`, details: { celsius: cpu.celsius, limit: config.cpuHotC } });
      else faults.clear('CPU_HOT', 'cpu');
    }

    const throttled = await readGetThrottled(root);
    const alarm = readHwmonUndervoltage(root);
    if (throttled !== undefined || alarm !== undefined) {
      const now = (throttled?.undervoltageNow ?? false) || alarm === true;
      const source = throttled ? `get_throttled ${`0x${throttled.raw.toString(16)}`}` : 'hwmon in0_lcrit_alarm';
      if (now) faults.raise({ code: 'UNDERVOLTAGE', subject: 'supply', message: `supply below the safe level now (${source})`, details: { raw: throttled?.raw, hwmonAlarm: alarm } });
      else faults.clear('UNDERVOLTAGE', 'supply');
    }
    if (throttled) {
      if (throttled.undervoltageSinceBoot) faults.raise({ code: 'UNDERVOLTAGE_SINCE_BOOT', subject: 'supply', message: `under-voltage has occurred since boot (get_throttled 0x${throttled.raw.toString(16)})`, details: { raw: throttled.raw } });
      else faults.clear('UNDERVOLTAGE_SINCE_BOOT', 'supply');
      if (throttled.throttledNow || throttled.freqCappedNow || throttled.softTempLimitNow) faults.raise({ code: 'CPU_THROTTLED', subject: 'cpu', message: `CPU ${throttled.throttledNow ? 'throttled' : throttled.freqCappedNow ? 'frequency-capped' : 'at its soft temperature limit'} now (get_throttled 0x${throttled.raw.toString(16)})`, details: { raw: throttled.raw } });
      else faults.clear('CPU_THROTTLED', 'cpu');
    }

    const memory = readMemInfo(root);
    if (memory) {
      if (memory.availableMb < config.memMinAvailableMb) faults.raise({ code: 'MEMORY_LOW', subject: 'memory', message: `${Math.round(memory.availableMb)} MiB available of ${Math.round(memory.totalMb)} MiB (limit ${config.memMinAvailableMb} MiB)`, details: { ...memory } });
      else faults.clear('MEMORY_LOW', 'memory');
    }

    const dir = this.deps.dataDir;
    const disk = readDisk(dir);
    if (disk) {
      const low = disk.freeMb < config.diskMinFreeMb || disk.freePercent < config.diskMinFreePercent;
      if (low) faults.raise({ code: 'DISK_LOW', subject: dir, message: `${r1(disk.freeMb)} MiB (${r1(disk.freePercent)} %) free in ${dir} (limits ${config.diskMinFreeMb} MiB, ${config.diskMinFreePercent} %)`, details: { ...disk } });
      else faults.clear('DISK_LOW', dir);
    }
    const writable = probeWrite(dir);
    if (writable === true) faults.clear('STORAGE_UNWRITABLE', dir);
    else faults.raise({ code: 'STORAGE_UNWRITABLE', subject: dir, message: `cannot write in ${dir}: ${writable}`, details: { error: writable } });

    const ns = 1e6;
    const loopDelay = this.loop.count > 0
      ? { p50Ms: r1(this.loop.percentile(50) / ns), p99Ms: r1(this.loop.percentile(99) / ns), maxMs: r1(this.loop.max / ns) }
      : { p50Ms: 0, p99Ms: 0, maxMs: 0 };
    this.loop.reset();
    if (loopDelay.maxMs > config.loopLagMs) faults.raise({ code: 'EVENT_LOOP_LAG', subject: 'runtime', message: `event loop blocked for up to ${loopDelay.maxMs} ms (limit ${config.loopLagMs} ms)`, details: loopDelay });
    else faults.clear('EVENT_LOOP_LAG', 'runtime');

    const tasks = this.deps.scheduler.allStats();
    for (const t of tasks) {
      if (this.deps.sampling && !this.deps.sampling.includes(t.name)) continue;
      const skipped = t.overruns + t.missed;
      const before = this.prevTask.get(t.name) ?? 0;
      this.prevTask.set(t.name, skipped);
      if (skipped > before) faults.raise({ code: 'LOOP_OVERRUN', subject: t.name, message: `${t.name}: ${skipped - before} ticks skipped since the last check (every ${t.intervalMs} ms; overruns ${t.overruns}, missed ${t.missed}, lateness p99 ${r1(t.lateness.p99)} ms)`, details: { overruns: t.overruns, missed: t.missed, p99Ms: t.lateness.p99, maxMs: t.lateness.max } });
      else faults.clear('LOOP_OVERRUN', t.name);
    }

    // outbox depth and drops are reported here; OUTBOX_DROPPING is raised by the outbox itself
    const uplink = this.deps.uplink();

    const source = this.deps.clock.timeSource();
    const up = this.deps.clock.monoMs() - this.startMono;
    if (source === 'none' && up >= config.clockGrace) faults.raise({ code: 'CLOCK_UNSYNCED', subject: 'clock', message: `wall time still not synchronised ${Math.round(up / 1000)} s after start` });
    else if (source !== 'none') faults.clear('CLOCK_UNSYNCED', 'clock');

    return roundReport({
      t: this.deps.clock.wallMs(),
      uptimeS: Math.round(up / 1000),
      cpu,
      throttled,
      undervoltageAlarm: alarm,
      memory,
      disk,
      storageWritable: writable === true,
      loopDelay,
      rssMb: r1(process.memoryUsage.rss() / 1048576),
      tasks,
      uplink,
      timeSource: source,
    });
  }
}

/**
 * Every fractional number of the report to at most two decimals (0.01 °C, 0.01 MiB, 0.01 %,
 * 0.01 ms): /proc and /sys give kB and millidegrees, the scheduler's statistics are doubles,
 * and the platform should not receive `123.45703125` MiB or lateness to the femtosecond.
 * Integers (times, counts, bytes) pass unchanged.
 */
export function roundReport<T>(value: T): T {
  if (typeof value === 'number') return (Number.isInteger(value) ? value : roundTo(value, 2)) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => roundReport(v)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = roundReport(v);
    return out as T;
  }
  return value;
}

/** Write and remove a small file: true, or the error text (ENOSPC, EROFS, EACCES). */
function probeWrite(dir: string): true | string {
  const f = join(dir, '.health-probe');
  try {
    writeFileSync(f, 'ok\n');
    rmSync(f, { force: true });
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? String(e);
  }
}
