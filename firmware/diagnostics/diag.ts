import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Profile } from '../../config/schema.js';
import type { TransportSecrets } from '../../config/secrets.js';
import { displayUrl, transportWarnings } from '../../config/url.js';
import { classifyConnackRefusal, classifyTransportError } from '../uplink/transport.js';
import type { Clock } from '../../drivers/bus/clock.js';
import { hex } from '../../drivers/bus/i2c.js';
import { toDeviceError } from '../../drivers/errors.js';
import { DEVICE_PARTS, devicePart } from '../../drivers/parts.js';
import type { ChannelSpec, ChannelValue, Driver, ReadResult } from '../../drivers/types.js';
import type { OpenBuses } from '../buses.js';
import type { DeviceStatus } from '../device/running-device.js';
import { type FaultCode, faultDefinition } from './catalog.js';
import type { HealthReport } from './health.js';
import type { ActiveFault } from './registry.js';

export type Verdict = 'PASS' | 'WARN' | 'FAIL';

/** One line of the diag report. */
export interface DiagCheck {
  readonly section: 'device' | 'bus' | 'broker' | 'clock' | 'storage' | 'host' | 'fault';
  /** what was checked: a device id, "i2c1 0x76", "broker", a fault code@subject */
  readonly name: string;
  readonly verdict: Verdict;
  readonly detail: string;
  /** the fault code a FAIL/WARN corresponds to, with its remedy from the catalogue */
  readonly code?: FaultCode;
  readonly remedy?: string;
}

export interface DiagReport {
  readonly v: 1;
  readonly box: string;
  readonly profileHash: string;
  readonly firmware: string;
  readonly t: number;
  readonly verdict: Verdict;
  /** service: built by the running runtime (cmd/diag, self-test); standalone: `edgefw diag` probing itself */
  readonly source: 'service' | 'standalone';
  readonly checks: readonly DiagCheck[];
}

const RANK: Readonly<Record<Verdict, number>> = { PASS: 0, WARN: 1, FAIL: 2 };

export function worst(checks: readonly DiagCheck[]): Verdict {
  return checks.reduce<Verdict>((w, c) => (RANK[c.verdict] > RANK[w] ? c.verdict : w), 'PASS');
}

function withCode(c: Omit<DiagCheck, 'remedy'> & { code?: FaultCode }): DiagCheck {
  return c.code && c.verdict !== 'PASS' ? { ...c, remedy: faultDefinition(c.code).remedy } : c;
}

/**
 * The profile's hash, as the commissioning record carries it: SHA-256 over the validated profile
 * with keys sorted (comments and formatting do not change it; any setting does), first 16 hex.
 * No secret goes into it: the profile holds only the paths of the password and key files, never
 * their contents (the loader refuses a password or URL credentials), and any key named
 * `password` is skipped all the same, so the hash cannot be brute-forced for a password.
 */
export function profileHash(profile: Profile): string {
  const canon = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canon)
      : v && typeof v === 'object'
        ? Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'password').sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, k === 'url' && typeof x === 'string' ? displayUrl(x) : canon(x)]))
        : v;
  return createHash('sha256').update(JSON.stringify(canon(profile))).digest('hex').slice(0, 16);
}

/** Plausible range of a channel: the part's datasheet range narrowed by the profile's checks.range. */
function plausible(spec: ChannelSpec, profile: Profile['devices'][number]): { min: number; max: number } {
  const r = profile.channels[spec.name]?.checks?.range;
  return { min: Math.max(spec.min, r?.min ?? spec.min), max: Math.min(spec.max, r?.max ?? spec.max) };
}

function valuesCheck(id: string, channels: readonly ChannelSpec[], values: readonly ChannelValue[], entry: Profile['devices'][number]): DiagCheck {
  const shown: string[] = [];
  const out: string[] = [];
  for (const v of values) {
    const spec = channels.find((c) => c.name === v.channel);
    if (!spec) continue;
    const r = plausible(spec, entry);
    const text = `${v.channel} ${Math.round(v.value * 100) / 100} ${spec.unit}`;
    shown.push(text);
    if (!(v.value >= r.min && v.value <= r.max)) out.push(`${text} outside ${r.min}..${r.max}`);
  }
  if (out.length > 0) return withCode({ section: 'device', name: `${id} reading`, verdict: 'FAIL', detail: out.join('; '), code: 'VALUE_OUT_OF_RANGE' });
  if (shown.length === 0) return { section: 'device', name: `${id} reading`, verdict: 'WARN', detail: 'no reading yet (a part warming up, a GPS without fix, or one that streams: run diag again with the service running)' };
  return { section: 'device', name: `${id} reading`, verdict: 'PASS', detail: shown.join(', ') };
}

async function readOnce(driver: Driver, waitMs: (ms: number) => Promise<void>): Promise<readonly ChannelValue[]> {
  let r: ReadResult = await driver.read();
  while ('waitMs' in r) {
    await waitMs(r.waitMs);
    r = await r.next();
  }
  return r.values;
}

/**
 * Live device checks for `edgefw diag` when the runtime is not running: for each enabled device,
 * init() (present? right chip?) and one read (plausible?), each bounded by the device timeout.
 */
export async function liveDeviceChecks(profile: Profile, buses: OpenBuses, clock: Clock, log: Logger, waitMs: (ms: number) => Promise<void>): Promise<DiagCheck[]> {
  const out: DiagCheck[] = [];
  for (const d of profile.devices.filter((x) => x.enabled)) {
    const def = devicePart(d.type);
    if (!def) continue;
    let driver: Driver | undefined;
    const bounded = <T>(p: Promise<T>, what: string): Promise<T> =>
      Promise.race([p, waitMs(d.timeout).then(() => Promise.reject(new Error(`${what} took longer than ${d.timeout} ms`)))]);
    try {
      driver = def.create(d, { id: d.id, clock, log, buses: buses.provider, emit: () => undefined });
      await bounded(driver.init(), 'init');
      const who = Object.entries(driver.describe()).map(([k, v]) => `${k} ${String(v)}`).join(', ');
      out.push({ section: 'device', name: d.id, verdict: 'PASS', detail: `${def.title}: ${who}` });
      const values = await bounded(readOnce(driver, waitMs), 'read');
      out.push(valuesCheck(d.id, driver.channels, values, d));
    } catch (e) {
      const err = e instanceof Error && !('code' in e) ? toDeviceError(e, 'DEVICE_TIMEOUT') : toDeviceError(e);
      out.push(withCode({ section: 'device', name: d.id, verdict: 'FAIL', detail: err.message, code: err.code }));
    } finally {
      await driver?.close?.().catch(() => undefined);
    }
  }
  return out;
}

/** Device checks on a running box, from each device runner's state and its last values. */
export function runningDeviceChecks(profile: Profile, devices: readonly DeviceStatus[]): DiagCheck[] {
  const out: DiagCheck[] = [];
  for (const s of devices) {
    const entry = profile.devices.find((d) => d.id === s.id);
    const def = devicePart(s.type);
    if (!entry || !def) continue;
    const who = Object.entries(s.identity).map(([k, v]) => `${k} ${String(v)}`).join(', ');
    if (s.state === 'probing' && s.errors === 0) {
      // just started: its first probe is still ahead (devices are spread over their interval)
      const next = s.nextProbeInMs === undefined ? '' : ` in ${Math.round(s.nextProbeInMs / 1000)} s`;
      out.push({ section: 'device', name: s.id, verdict: 'WARN', detail: `starting: first probe${next}` });
    } else if (s.state === 'ok' || s.state === 'recovering') {
      out.push({ section: 'device', name: s.id, verdict: 'PASS', detail: `${s.state}: ${who}` });
      out.push(valuesCheck(s.id, def.channels(entry), s.lastValues, entry));
    } else {
      const code = (s.lastError?.code as FaultCode | undefined) ?? 'DEVICE_FAILED';
      const verdict: Verdict = s.state === 'degraded' ? 'WARN' : 'FAIL';
      const next = s.nextProbeInMs === undefined ? '' : `; next probe in ${Math.round(s.nextProbeInMs / 1000)} s`;
      out.push(withCode({ section: 'device', name: s.id, verdict, detail: `${s.state}: ${s.lastError?.message ?? 'not answering yet'}${next}`, code }));
    }
  }
  return out;
}

/**
 * Bus scans against the profile: every address the profile expects must acknowledge, and each
 * answering address the profile does not name is reported (WARN: a part fitted but not
 * configured, or a strap set to the wrong address). Probing uses each bus's lock.
 */
/**
 * Runs fn while the device that owns an address is between transactions, and keeps it from
 * starting one until fn is done: a probe or identify() must never land between a part's measure
 * command and its read (an SHT3x NACKs while it measures, and the scan would call it missing or
 * the wrong part). Given by a running box; a standalone `edgefw diag` owns the bus alone.
 */
export type ExclusiveAt = <T>(bus: string, address: number, fn: () => Promise<T>) => Promise<T>;

export async function busChecks(profile: Profile, buses: OpenBuses, scan = true, exclusive?: ExclusiveAt): Promise<DiagCheck[]> {
  const out: DiagCheck[] = [];
  for (const [name, bus] of buses.i2c) {
    const hold = <T>(a: number, fn: () => Promise<T>): Promise<T> => (exclusive ? exclusive(name, a, fn) : fn());
    try {
      await bus.check();
    } catch (e) {
      const err = toDeviceError(e);
      out.push(withCode({ section: 'bus', name, verdict: 'FAIL', detail: err.message, code: 'I2C_BUS_MISSING' }));
      continue;
    }
    const expected = new Map<number, { who: string; type: string }>();
    for (const d of profile.devices) {
      const def = devicePart(d.type);
      if (def?.i2c && d.bus === name && d.enabled) expected.set(def.i2c.address(d), { who: `${d.id} (${d.type})`, type: d.type });
    }
    // the part's own identify(): reads its chip id; undefined when it is not that part
    const identify = async (type: string, a: number): Promise<string | undefined> => {
      const id = devicePart(type)?.i2c?.identify;
      if (!id) return undefined;
      try {
        return await hold(a, () => bus.lock.run(() => id(bus, a)));
      } catch {
        return undefined;
      }
    };
    const answered = new Set<number>();
    if (scan) {
      for (let a = 0x08; a <= 0x77; a++) if (await hold(a, () => bus.lock.run(() => bus.probe(a)))) answered.add(a);
    } else for (const a of expected.keys()) if (await hold(a, () => bus.lock.run(() => bus.probe(a)))) answered.add(a);
    for (const [a, { who, type }] of expected) {
      const where = `${name} ${hex(a)}`;
      if (!answered.has(a)) {
        out.push(withCode({ section: 'bus', name: where, verdict: 'FAIL', detail: `${who}: nothing acknowledges ${hex(a)}`, code: 'I2C_NACK' }));
        continue;
      }
      const part = await identify(type, a);
      const canIdentify = devicePart(type)?.i2c?.identify !== undefined;
      if (part || !canIdentify) out.push({ section: 'bus', name: where, verdict: 'PASS', detail: `${who} acknowledges${part ? `: ${part}` : ''}` });
      else out.push(withCode({ section: 'bus', name: where, verdict: 'FAIL', detail: `${who}: something answers at ${hex(a)} but it is not a ${type}`, code: 'WRONG_CHIP_ID' }));
    }
    for (const a of answered) {
      if (expected.has(a)) continue;
      let part: string | undefined;
      for (const def of DEVICE_PARTS) {
        if (!part && def.i2c?.addresses.includes(a)) part = await identify(def.type, a);
      }
      out.push({ section: 'bus', name: `${name} ${hex(a)}`, verdict: 'WARN', detail: `${part ?? 'something'} answers at ${hex(a)}, and the profile does not name it` });
    }
  }
  return out;
}

/** Broker reachability and round trip, from `probeBroker`; a TLS or login failure names its own fault code. */
export function brokerCheck(url: string, result: { ok: true; rttMs: number } | { ok: false; error: string; errorCode?: unknown }): DiagCheck {
  const shown = displayUrl(url);
  if (result.ok) {
    const verdict: Verdict = result.rttMs > 2000 ? 'WARN' : 'PASS';
    return { section: 'broker', name: 'broker', verdict, detail: `${shown} reachable, round trip ${Math.round(result.rttMs)} ms` };
  }
  const err = Object.assign(new Error(result.error), { code: result.errorCode });
  const f = classifyTransportError(err, url) ?? classifyConnackRefusal(result.errorCode, url, 5) ?? classifyConnackRefusal(result.errorCode, url, 4);
  return withCode({ section: 'broker', name: 'broker', verdict: 'FAIL', detail: f?.message ?? `${shown}: ${result.error}`, code: f?.code ?? 'BROKER_UNREACHABLE' });
}

/** How the box reaches its broker: WARN for plain MQTT to another machine or a certificate near its end. */
export function transportChecks(profile: Profile, secrets: TransportSecrets | undefined, nowMs = Date.now()): DiagCheck[] {
  if (profile.uplink.embeddedBroker) return [];
  const warnings = transportWarnings(profile.uplink);
  const v = secrets?.certValidity;
  if (v && v.to < nowMs) return [withCode({ section: 'broker', name: 'transport', verdict: 'FAIL', detail: `the box's certificate (${v.subject}) expired on ${new Date(v.to).toISOString()}`, code: 'TLS_CERT_EXPIRED' })];
  if (v && v.to - nowMs < 30 * 86_400_000) warnings.push(`the box's certificate expires on ${new Date(v.to).toISOString()}; renew it`);
  if (warnings.length > 0) return warnings.map((w) => ({ section: 'broker', name: 'transport', verdict: 'WARN', detail: w }));
  const secure = /^(mqtts|wss):/.test(profile.uplink.url);
  const detail = secure ? `TLS${secrets?.tls?.ca ? ' (uplink.tls.ca)' : ' (system CAs)'}${v ? `, client certificate until ${new Date(v.to).toISOString().slice(0, 10)}` : ''}` : 'plain MQTT on loopback';
  return [{ section: 'broker', name: 'transport', verdict: 'PASS', detail }];
}

export function clockCheck(clock: Clock): DiagCheck {
  const src = clock.timeSource();
  const now = new Date(clock.wallMs()).toISOString();
  if (src === 'none') return withCode({ section: 'clock', name: 'clock', verdict: 'WARN', detail: `not synchronised (wall clock reads ${now})`, code: 'CLOCK_UNSYNCED' });
  return { section: 'clock', name: 'clock', verdict: 'PASS', detail: `${now} (source: ${src})` };
}

/** Storage and host lines from a health report. */
export function healthChecks(h: HealthReport, limits: { cpuHotC: number; diskMinFreeMb: number; diskMinFreePercent: number; memMinAvailableMb: number }): DiagCheck[] {
  const out: DiagCheck[] = [];
  if (h.disk) {
    const low = h.disk.freeMb < limits.diskMinFreeMb || h.disk.freePercent < limits.diskMinFreePercent;
    const detail = `${h.disk.path}: ${Math.round(h.disk.freeMb)} MiB free (${Math.round(h.disk.freePercent)} %)`;
    out.push(low ? withCode({ section: 'storage', name: 'disk', verdict: 'FAIL', detail, code: 'DISK_LOW' }) : { section: 'storage', name: 'disk', verdict: 'PASS', detail });
  }
  out.push(h.storageWritable ? { section: 'storage', name: 'writable', verdict: 'PASS', detail: 'data directory writable' } : withCode({ section: 'storage', name: 'writable', verdict: 'FAIL', detail: 'data directory not writable', code: 'STORAGE_UNWRITABLE' }));
  if (h.cpu) {
    const hot = h.cpu.celsius > limits.cpuHotC;
    const detail = `${Math.round(h.cpu.celsius * 10) / 10} °C (${h.cpu.type})`;
    out.push(hot ? withCode({ section: 'host', name: 'cpu temperature', verdict: 'WARN', detail, code: 'CPU_HOT' }) : { section: 'host', name: 'cpu temperature', verdict: 'PASS', detail });
  }
  const t = h.throttled;
  if (t || h.undervoltageAlarm !== undefined) {
    const now = t?.undervoltageNow === true || h.undervoltageAlarm === true;
    const detail = t ? `get_throttled 0x${t.raw.toString(16)}` : `hwmon alarm ${h.undervoltageAlarm ? 1 : 0}`;
    if (now) out.push(withCode({ section: 'host', name: 'supply', verdict: 'FAIL', detail: `under-voltage now (${detail})`, code: 'UNDERVOLTAGE' }));
    else if (t?.undervoltageSinceBoot) out.push(withCode({ section: 'host', name: 'supply', verdict: 'WARN', detail: `under-voltage occurred since boot (${detail})`, code: 'UNDERVOLTAGE_SINCE_BOOT' }));
    else out.push({ section: 'host', name: 'supply', verdict: 'PASS', detail: `no under-voltage (${detail})` });
  }
  if (h.memory) {
    const detail = `${Math.round(h.memory.availableMb)} MiB available of ${Math.round(h.memory.totalMb)} MiB; edgefw RSS ${h.rssMb} MiB`;
    out.push(h.memory.availableMb < limits.memMinAvailableMb ? withCode({ section: 'host', name: 'memory', verdict: 'WARN', detail, code: 'MEMORY_LOW' }) : { section: 'host', name: 'memory', verdict: 'PASS', detail });
  }
  return out;
}

/** Active faults with their remedies: errors and worse FAIL, the rest WARN. */
export function faultChecks(active: readonly ActiveFault[]): DiagCheck[] {
  return active.map((f) => ({
    section: 'fault',
    name: `${f.code}${f.subject ? `@${f.subject}` : ''}`,
    verdict: f.severity === 'error' || f.severity === 'critical' ? 'FAIL' : 'WARN',
    detail: `${f.message} (×${f.count}, since ${new Date(f.firstSeenMs).toISOString()})${f.acknowledged ? ' [acknowledged]' : ''}`,
    code: f.code,
    remedy: f.remedy,
  }));
}

export function makeReport(source: DiagReport['source'], profile: Profile, firmware: string, t: number, checks: readonly DiagCheck[]): DiagReport {
  return { v: 1, box: profile.box.id, profileHash: profileHash(profile), firmware, t, verdict: worst(checks), source, checks };
}

/** The terminal table: one line per check, remedies under the lines that need one. */
export function renderReport(r: DiagReport, color = false): string {
  const paint = (v: Verdict): string => {
    if (!color) return v;
    const c = v === 'PASS' ? 32 : v === 'WARN' ? 33 : 31;
    return `\u001b[${c}m${v}\u001b[0m`;
  };
  const w = Math.max(12, ...r.checks.map((c) => c.name.length));
  const from = r.source === 'service' ? '  (from the running service)' : '';
  const lines = [`edgefw diag  box ${r.box}  profile ${r.profileHash}  fw ${r.firmware}  ${new Date(r.t).toISOString()}${from}`, ''];
  let section = '';
  for (const c of r.checks) {
    if (c.section !== section) {
      section = c.section;
      lines.push(section.toUpperCase());
    }
    lines.push(`  ${paint(c.verdict)}  ${c.name.padEnd(w)}  ${c.detail}`);
    if (c.remedy) lines.push(`        ${' '.repeat(w)}  ${c.code ? `${c.code}: ` : ''}${c.remedy}`);
  }
  const n = (v: Verdict): number => r.checks.filter((c) => c.verdict === v).length;
  lines.push('', `RESULT ${paint(r.verdict)}  (${n('PASS')} pass, ${n('WARN')} warn, ${n('FAIL')} fail)`);
  return lines.join('\n');
}
