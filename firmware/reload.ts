import type { DeviceConfig, Profile } from '../config/schema.js';

/** Keys of a device entry that a running box takes over without a restart. */
export const LIVE_DEVICE_KEYS = ['channels', 'interval', 'timeout', 'name'] as const;

/** One device whose live keys changed, with its new entry (only the live keys are used). */
export interface LiveDeviceChange {
  readonly id: string;
  readonly channels: boolean;
  readonly timing: boolean;
  readonly next: DeviceConfig;
}

/**
 * What a profile reload (SIGHUP) changes, computed from the running profile and a new one that
 * already passed the loader.
 * - `live`: device channels (checks, calibration, filters, report), interval, timeout and name,
 *   of devices present in both profiles; and `commands` (the trust list and command limits);
 * - `restart`: every other changed path (profile keys as docs/profile.md names them): buses,
 *   driver options, devices added or removed, uplink, storage, box, clock, health, jobs.
 * `running` is the profile the box runs after the live part is applied: the old one with the live
 * keys of each matching device taken from the new one.
 */
export interface ReloadPlan {
  readonly live: readonly LiveDeviceChange[];
  /** `commands` (trust list, limits) changed: applied live, so a leaked key is dropped at once */
  readonly commands: boolean;
  readonly restart: readonly string[];
  readonly running: Profile;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

export function planReload(old: Profile, next: Profile): ReloadPlan {
  const restart: string[] = [];
  for (const key of Object.keys({ ...old, ...next }) as (keyof Profile)[]) {
    if (key === 'devices' || key === 'commands') continue;
    if (!same(old[key], next[key])) {
      const a = (old[key] ?? {}) as Record<string, unknown>;
      const b = (next[key] ?? {}) as Record<string, unknown>;
      const sub = typeof a === 'object' && !Array.isArray(a) ? Object.keys({ ...a, ...b }).filter((k) => !same(a[k], b[k])) : [];
      if (sub.length > 0) for (const k of sub) restart.push(`${key}.${k}`);
      else restart.push(key);
    }
  }
  const live: LiveDeviceChange[] = [];
  const byId = new Map(next.devices.map((d, i) => [d.id, { d, i }]));
  const running = old.devices.map((d, i) => {
    const n = byId.get(d.id)?.d;
    if (!n) {
      restart.push(`devices[${i}] (${d.id}) removed`);
      return d;
    }
    const keys = Object.keys({ ...d, ...n }).filter((k) => !same(d[k], n[k]));
    const fixed = keys.filter((k) => !(LIVE_DEVICE_KEYS as readonly string[]).includes(k));
    for (const k of fixed) restart.push(`devices[${byId.get(d.id)?.i ?? i}].${k} (${d.id})`);
    // an enabled flag that changes is a restart; a disabled device has nothing running to change
    if (!d.enabled || !n.enabled) return d;
    const channels = keys.includes('channels');
    const timing = keys.includes('interval') || keys.includes('timeout');
    if (channels || timing || keys.includes('name')) live.push({ id: d.id, channels, timing, next: n });
    const r: Record<string, unknown> = { ...d, channels: n.channels, interval: n.interval, timeout: n.timeout, name: n.name };
    if (n.name === undefined) delete r.name;
    return r as DeviceConfig;
  });
  const oldIds = new Set(old.devices.map((d) => d.id));
  next.devices.forEach((d, i) => {
    if (!oldIds.has(d.id)) restart.push(`devices[${i}] (${d.id}) added`);
  });
  const commands = !same(old.commands, next.commands);
  return { live, commands, restart, running: { ...old, devices: running, commands: next.commands } as Profile };
}
