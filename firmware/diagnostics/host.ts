import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statfsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Readers of the host's state from /sys and /proc. Every path is taken under `root` ("/" on a
 * box), so tests point them at fixture trees under test/fixtures/host/ (the Telegraf HOST_SYS
 * habit). Each reader returns undefined when the host does not offer that information (a
 * laptop has no get_throttled); it never throws for a missing file.
 */

const readText = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
};

export interface ThermalZone {
  /** "thermal_zone0" */
  readonly zone: string;
  /** the zone's type file: "cpu-thermal" on a Pi, "x86_pkg_temp" on a PC */
  readonly type: string;
  readonly celsius: number;
}

/**
 * Every /sys/class/thermal/thermal_zone*\/temp. The file holds millidegrees Celsius as an integer:
 * "48312" → 48.312 °C (Documentation/driver-api/thermal/sysfs-api.rst).
 */
export function readThermalZones(root: string): ThermalZone[] {
  const dir = join(root, 'sys/class/thermal');
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /^thermal_zone\d+$/.test(n)).sort();
  } catch {
    return [];
  }
  const out: ThermalZone[] = [];
  for (const zone of names) {
    const raw = readText(join(dir, zone, 'temp'));
    if (raw === undefined || !/^-?\d+$/.test(raw)) continue;
    out.push({ zone, type: readText(join(dir, zone, 'type')) ?? 'unknown', celsius: Number(raw) / 1000 });
  }
  return out;
}

/** The CPU temperature: the zone typed as the CPU where there is one, else the hottest zone. */
export function cpuTemperature(zones: readonly ThermalZone[]): ThermalZone | undefined {
  const cpu = zones.find((z) => /cpu|x86_pkg|soc/i.test(z.type));
  if (cpu) return cpu;
  return [...zones].sort((a, b) => b.celsius - a.celsius)[0];
}

/**
 * Raspberry Pi firmware throttling flags (`vcgencmd get_throttled`, documented in the Raspberry
 * Pi "os" documentation, section "get_throttled"). Low bits are the state now, bits 16-19 latch
 * the same conditions since boot:
 *   bit 0 under-voltage now            bit 16 under-voltage has occurred
 *   bit 1 ARM frequency capped now     bit 17 ARM frequency capping has occurred
 *   bit 2 throttled now                bit 18 throttling has occurred
 *   bit 3 soft temperature limit now   bit 19 soft temperature limit has occurred
 * Worked example: "throttled=0x50005" → under-voltage now and throttled now (0x5), and both have
 * occurred since boot (0x50000).
 */
export interface Throttled {
  readonly raw: number;
  readonly undervoltageNow: boolean;
  readonly freqCappedNow: boolean;
  readonly throttledNow: boolean;
  readonly softTempLimitNow: boolean;
  readonly undervoltageSinceBoot: boolean;
  readonly freqCappedSinceBoot: boolean;
  readonly throttledSinceBoot: boolean;
  readonly softTempLimitSinceBoot: boolean;
}

export function decodeThrottled(raw: number): Throttled {
  const bit = (n: number): boolean => (raw & (1 << n)) !== 0;
  return {
    raw,
    undervoltageNow: bit(0),
    freqCappedNow: bit(1),
    throttledNow: bit(2),
    softTempLimitNow: bit(3),
    undervoltageSinceBoot: bit(16),
    freqCappedSinceBoot: bit(17),
    throttledSinceBoot: bit(18),
    softTempLimitSinceBoot: bit(19),
  };
}

/** Parse the output of `vcgencmd get_throttled`: "throttled=0x50005\n". */
export function parseGetThrottled(output: string): Throttled | undefined {
  const m = /throttled=0x([0-9a-f]+)/i.exec(output);
  return m ? decodeThrottled(Number.parseInt(m[1] as string, 16)) : undefined;
}

/**
 * Ask the Pi firmware through `<root>/usr/bin/vcgencmd get_throttled` (the tool ships with
 * Raspberry Pi OS). Resolves undefined where there is no vcgencmd or it fails (not a Pi, or no
 * access to /dev/vcio: the service user needs the "video" group).
 */
export function readGetThrottled(root: string, timeoutMs = 2000): Promise<Throttled | undefined> {
  const bin = join(root, 'usr/bin/vcgencmd');
  if (!existsSync(bin)) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    execFile(bin, ['get_throttled'], { timeout: timeoutMs }, (err, stdout) => {
      resolve(err ? undefined : parseGetThrottled(stdout));
    });
  });
}

/**
 * Under-voltage from the kernel's Raspberry Pi hwmon driver (rpi_volt, drivers/hwmon/
 * raspberrypi-hwmon.c): `in0_lcrit_alarm` is "1" while the supply is below the firmware's limit.
 * Works without vcgencmd. undefined when there is no rpi_volt hwmon.
 */
export function readHwmonUndervoltage(root: string): boolean | undefined {
  const dir = join(root, 'sys/class/hwmon');
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  for (const n of names.sort()) {
    if (readText(join(dir, n, 'name')) !== 'rpi_volt') continue;
    const v = readText(join(dir, n, 'in0_lcrit_alarm'));
    if (v === '0' || v === '1') return v === '1';
  }
  return undefined;
}

export interface MemoryInfo {
  readonly totalMb: number;
  readonly availableMb: number;
}

/** /proc/meminfo, kB values: "MemAvailable:     412340 kB" → 402.7 MiB. */
export function readMemInfo(root: string): MemoryInfo | undefined {
  const text = readText(join(root, 'proc/meminfo'));
  if (!text) return undefined;
  const kb = (key: string): number | undefined => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const total = kb('MemTotal');
  const avail = kb('MemAvailable') ?? kb('MemFree');
  if (total === undefined || avail === undefined) return undefined;
  return { totalMb: total / 1024, availableMb: avail / 1024 };
}

export interface DiskInfo {
  readonly path: string;
  readonly totalMb: number;
  /** space an unprivileged writer can still use (f_bavail) */
  readonly freeMb: number;
  readonly freePercent: number;
}

/** Free space of the file system holding `path` (statfs(2)); undefined when it cannot be read. */
export function readDisk(path: string): DiskInfo | undefined {
  try {
    const s = statfsSync(path);
    const totalMb = (s.blocks * s.bsize) / 1048576;
    const freeMb = (s.bavail * s.bsize) / 1048576;
    return { path, totalMb, freeMb, freePercent: totalMb > 0 ? (100 * freeMb) / totalMb : 0 };
  } catch {
    return undefined;
  }
}
