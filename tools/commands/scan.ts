import type { Command } from 'commander';
import { ProfileError, loadProfile } from '../../config/load.js';
import type { Profile } from '../../config/schema.js';
import { SystemClock } from '../../drivers/bus/clock.js';
import type { I2cBus } from '../../drivers/bus/i2c.js';
import { RealI2cBus } from '../../drivers/bus/i2c-real.js';
import { isDeviceError } from '../../drivers/errors.js';
import { deviceType } from '../../drivers/registry.js';
import { SimulatedI2cBus } from '../../drivers/sim/i2c-bus.js';
import { openBuses } from '../../firmware/buses.js';
import { faultDefinition } from '../../firmware/diagnostics/catalog.js';
import { createLogger } from '../../firmware/log.js';
import { type ExpectedPart, type ScanReport, formatScanReport, scanI2cBus } from '../../firmware/diagnostics/i2c-scan.js';

export interface ScanI2cOptions {
  /** N of /dev/i2c-N; with a profile, the number or name of one of its buses */
  readonly bus?: string;
  readonly profile?: string;
  readonly json?: boolean;
}

export interface ScanI2cDeps {
  /** open /dev/i2c-N (tests pass a RealI2cBus over a stand-in) */
  readonly openRealBus?: (name: string, n: number) => Promise<I2cBus>;
  /** called with each simulated bus before the scan (tests unplug or add parts here) */
  readonly prepareSimulatedBus?: (bus: SimulatedI2cBus) => void;
}

export interface ScanI2cResult {
  readonly output: string;
  /** 0 all expected parts answer as themselves · 1 something expected is missing or wrong, or a bus is missing · 2 usage or profile error */
  readonly exitCode: number;
  readonly reports: readonly ScanReport[];
  /** buses that could not be scanned at all */
  readonly errors: readonly ScanBusError[];
}

export interface ScanBusError {
  readonly bus: string;
  readonly code: string;
  readonly message: string;
  readonly remedy: string;
}

const quiet = createLogger({ level: 'silent', pretty: false });
const noFaults = { raise: (): void => {}, clear: (): void => {} };

/** The profile's I²C devices on one bus, with the address each is strapped to. */
export function expectedOn(profile: Profile, busName: string): ExpectedPart[] {
  const out: ExpectedPart[] = [];
  for (const d of profile.devices) {
    const def = deviceType(d.type);
    if (!def?.i2c || d.bus !== busName || !d.enabled) continue;
    // a variant key (BME280 / BMP280) names the part identify() must report
    const variant = (d as { variant?: unknown }).variant;
    out.push({ id: d.id, type: d.type, address: def.i2c.address(d), ...(typeof variant === 'string' ? { part: variant.toUpperCase() } : {}) });
  }
  return out;
}

function busMissing(e: unknown, bus: string): ScanBusError | undefined {
  if (!isDeviceError(e) || e.code !== 'I2C_BUS_MISSING') return undefined;
  return { bus, code: e.code, message: e.message, remedy: faultDefinition('I2C_BUS_MISSING').remedy };
}

/**
 * `edgefw scan i2c`: without a profile, probe /dev/i2c-N (default 1) and name what answers;
 * with a profile, scan each of its I²C buses (real or simulated) and compare with its devices.
 */
export async function runScanI2c(opts: ScanI2cOptions, deps: ScanI2cDeps = {}): Promise<ScanI2cResult> {
  const openReal = deps.openRealBus ?? ((name: string, n: number) => RealI2cBus.open(name, n));
  const texts: string[] = [];
  const reports: ScanReport[] = [];
  const errors: ScanBusError[] = [];
  let exitCode = 0;

  const scanOne = async (bus: I2cBus, label: string, expected: readonly ExpectedPart[]): Promise<void> => {
    try {
      const r = await scanI2cBus(bus, expected);
      reports.push(r);
      texts.push(formatScanReport(r, label));
      if (!r.ok) exitCode = Math.max(exitCode, 1);
    } catch (e) {
      const err = busMissing(e, bus.name);
      if (!err) throw e;
      errors.push(err);
      texts.push(`${label}: ${err.message}\n  ${err.code} — ${err.remedy}`);
      exitCode = Math.max(exitCode, 1);
    }
  };

  if (!opts.profile) {
    const n = opts.bus === undefined ? 1 : Number(opts.bus);
    if (!Number.isInteger(n) || n < 0 || n > 255) return { output: `--bus ${opts.bus}: not a bus number (N of /dev/i2c-N)`, exitCode: 2, reports, errors };
    const bus = await openReal(`i2c-${n}`, n);
    try {
      await scanOne(bus, `/dev/i2c-${n}`, []);
    } finally {
      await bus.close();
    }
  } else {
    let profile: Profile;
    try {
      profile = loadProfile(opts.profile);
    } catch (e) {
      if (e instanceof ProfileError) return { output: e.message, exitCode: 2, reports, errors };
      throw e;
    }
    const wanted = profile.buses.i2c.filter((b) => opts.bus === undefined || b.name === opts.bus || String(b.bus) === opts.bus);
    if (wanted.length === 0) {
      const known = profile.buses.i2c.map((b) => (b.simulated ? `${b.name} (simulated)` : `${b.name} (/dev/i2c-${b.bus})`)).join(', ') || 'none';
      return { output: `${opts.profile}: no I²C bus ${opts.bus === undefined ? '' : `"${opts.bus}" `}in buses.i2c (${known})`, exitCode: 2, reports, errors };
    }
    const only: Profile = { ...profile, buses: { ...profile.buses, i2c: wanted } };
    const open = await openBuses(only, new SystemClock({ assumeTrusted: true }), noFaults, quiet);
    try {
      for (const b of wanted) {
        const bus = open.i2c.get(b.name) as I2cBus;
        if (bus instanceof SimulatedI2cBus) deps.prepareSimulatedBus?.(bus);
        await scanOne(bus, b.simulated ? `${b.name} (simulated)` : `${b.name} (/dev/i2c-${b.bus})`, expectedOn(profile, b.name));
      }
    } finally {
      await open.close();
    }
  }
  const output = opts.json ? JSON.stringify({ ok: exitCode === 0, reports, errors }, null, 2) : texts.join('\n\n');
  return { output, exitCode, reports, errors };
}

export function registerScan(program: Command): void {
  const scan = program.command('scan').description('look for parts on the buses of this box');
  scan
    .command('i2c')
    .description('probe the 7-bit I²C address range, name the parts and compare with a profile (exit 1 when an expected part is missing)')
    .option('--bus <N>', 'bus number (N of /dev/i2c-N, default 1); with --profile, a bus number or name from the profile')
    .option('--profile <file>', 'compare with the devices of this profile (simulated buses are scanned in-process)')
    .option('--json', 'print { ok, reports, errors } as JSON')
    .action(async (opts: ScanI2cOptions) => {
      const r = await runScanI2c(opts);
      if (r.exitCode === 2) console.error(r.output);
      else console.log(r.output);
      process.exitCode = r.exitCode;
    });
}
