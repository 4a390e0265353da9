import { type I2cBus, SCAN_FIRST, SCAN_LAST, hex } from '../../drivers/bus/i2c.js';
import { isDeviceError } from '../../drivers/errors.js';
import { DEVICE_PARTS } from '../../drivers/parts.js';
import type { DeviceCommon, DevicePart } from '../../drivers/types.js';

type AnyDefinition = DevicePart<DeviceCommon & any>;

/** A device a profile puts on the scanned bus. */
export interface ExpectedPart {
  readonly id: string;
  readonly type: string;
  readonly address: number;
  /** the part name identify() must report, when the profile says more than the type (variant: bmp280 → "BMP280") */
  readonly part?: string;
}

/**
 * ok: expected, answers and identifies as the part · found: expected and answers, the part has
 * no id to check · wrong-part: answers but identifies as something else · missing: expected,
 * no answer · unexpected: answers, not in the profile.
 */
export type ScanStatus = 'ok' | 'found' | 'wrong-part' | 'missing' | 'unexpected';

export interface ScanEntry {
  readonly address: number;
  readonly status: ScanStatus;
  readonly expected?: { readonly id: string; readonly type: string; readonly part: string };
  /** what identify() said, e.g. "BME280 (chip id 0x60)" */
  readonly identified?: string;
  /** parts that can sit at this address (by the registry's address lists) */
  readonly candidates: readonly string[];
  /** one line for a technician */
  readonly line: string;
}

export interface ScanReport {
  readonly bus: string;
  /** addresses that acknowledged, ascending */
  readonly answering: readonly number[];
  readonly entries: readonly ScanEntry[];
  readonly expected: number;
  readonly missing: number;
  readonly wrongPart: number;
  readonly unexpected: number;
  /** every expected part answered and none identified as another part */
  readonly ok: boolean;
}

/** "Sensirion SHT3x (SHT30/31/35) …" → "SHT3x": the word after the vendor in the title. */
export function partName(def: AnyDefinition): string {
  return def.title.split(' ')[1] ?? def.type;
}

/** identify() with its failures turned into a note: a scan never stops on one odd part. */
async function tryIdentify(def: AnyDefinition, bus: I2cBus, address: number): Promise<{ name?: string; error?: string }> {
  const identify = def.i2c?.identify;
  if (!identify) return {};
  try {
    const name = await bus.lock.run(() => identify(bus, address));
    return name === undefined ? {} : { name };
  } catch (e) {
    return { error: isDeviceError(e) ? e.code : String(e) };
  }
}

/**
 * Probe every 7-bit address from SCAN_FIRST to SCAN_LAST (the I²C reserved blocks 0x00–0x07
 * and 0x78–0x7F are skipped), name what answers by the registry's addresses and identify(),
 * and compare with what a profile expects on this bus. Rejects only when the bus itself is
 * missing (I2C_BUS_MISSING): a missing adapter must not look like an empty bus.
 */
export async function scanI2cBus(bus: I2cBus, expected: readonly ExpectedPart[] = [], types: readonly AnyDefinition[] = DEVICE_PARTS): Promise<ScanReport> {
  await bus.check();
  const i2cTypes = types.filter((d) => d.i2c);
  const answering: number[] = [];
  for (let a = SCAN_FIRST; a <= SCAN_LAST; a++) {
    try {
      if (await bus.lock.run(() => bus.probe(a))) answering.push(a);
    } catch (e) {
      if (isDeviceError(e) && e.code === 'I2C_BUS_MISSING') throw e;
      // a glitch on one address is "no answer"; the bus as a whole is fine
    }
  }
  const entries: ScanEntry[] = [];
  const byAddress = new Map(expected.map((e) => [e.address, e]));
  const addresses = [...new Set([...answering, ...byAddress.keys()])].sort((x, y) => x - y);
  for (const a of addresses) {
    const candidates = i2cTypes.filter((d) => d.i2c?.addresses.includes(a));
    const names = candidates.map(partName);
    const want = byAddress.get(a);
    const present = answering.includes(a);
    if (want) {
      const def = types.find((d) => d.type === want.type);
      const part = want.part ?? (def ? partName(def) : want.type);
      const head = `${hex(a)} ${part} "${want.id}" expected —`;
      const exp = { id: want.id, type: want.type, part };
      if (!present) {
        entries.push({ address: a, status: 'missing', expected: exp, candidates: names, line: `${head} MISSING` });
        continue;
      }
      const id = def ? await tryIdentify(def, bus, a) : {};
      if (id.name?.startsWith(part)) {
        entries.push({ address: a, status: 'ok', expected: exp, identified: id.name, candidates: names, line: `${head} found, ${id.name} ok` });
      } else if (def?.i2c?.identify) {
        const why = id.error ? `identification failed (${id.error})` : `it does not identify as ${part}`;
        const other = id.name ?? (await identifyAmong(candidates.filter((c) => c !== def), bus, a));
        entries.push({ address: a, status: 'wrong-part', expected: exp, ...(other ? { identified: other } : {}), candidates: names, line: `${head} found, but ${why}${other ? `; it looks like ${other}` : ''}` });
      } else {
        entries.push({ address: a, status: 'found', expected: exp, candidates: names, line: `${head} found (the part has no chip id to check)` });
      }
      continue;
    }
    const other = await identifyAmong(candidates, bus, a);
    const guess = other ?? (names.length > 0 ? `likely ${names.join(' or ')} (by address)` : undefined);
    entries.push({ address: a, status: 'unexpected', ...(other ? { identified: other } : {}), candidates: names, line: `${hex(a)} unexpected${guess ? ` — ${guess}` : ''}` });
  }
  const count = (s: ScanStatus): number => entries.filter((e) => e.status === s).length;
  const missing = count('missing');
  const wrongPart = count('wrong-part');
  return { bus: bus.name, answering, entries, expected: expected.length, missing, wrongPart, unexpected: count('unexpected'), ok: missing === 0 && wrongPart === 0 };
}

async function identifyAmong(candidates: readonly AnyDefinition[], bus: I2cBus, address: number): Promise<string | undefined> {
  for (const c of candidates) {
    const id = await tryIdentify(c, bus, address);
    if (id.name !== undefined) return id.name;
  }
  return undefined;
}

/** The report as a technician reads it: one line per address, then a summary. */
export function formatScanReport(r: ScanReport, label = r.bus): string {
  const lines = [`${label}: ${r.answering.length} address${r.answering.length === 1 ? '' : 'es'} answering (probed ${hex(SCAN_FIRST)}–${hex(SCAN_LAST)})`];
  for (const e of r.entries) lines.push(`  ${e.line}`);
  if (r.entries.length === 0) lines.push('  nothing answers: check power (3.3 V), SDA/SCL wiring and pull-ups');
  const found = r.expected - r.missing;
  const parts = [`${found} of ${r.expected} expected part${r.expected === 1 ? '' : 's'} found`];
  if (r.missing) parts.push(`${r.missing} MISSING`);
  if (r.wrongPart) parts.push(`${r.wrongPart} wrong part${r.wrongPart === 1 ? '' : 's'}`);
  if (r.unexpected) parts.push(`${r.unexpected} unexpected`);
  lines.push(`  ${parts.join(', ')}`);
  return lines.join('\n');
}
