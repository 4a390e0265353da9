import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import type { SerialLink, SerialPortSpec } from '../../drivers/bus/serial.js';
import { FrameHunter, hexBytes } from '../../drivers/bus/serial-frames.js';
import { openRealSerialLink } from '../../drivers/bus/serial-real.js';
import { isDeviceError } from '../../drivers/errors.js';
import { DEVICE_TYPES } from '../../drivers/registry.js';

/**
 * `edgefw probe serial`: for a technician at a box with an unknown cable. Listen on a port,
 * send the queries that are safe for every known part (read-only: PMS5003 passive read,
 * SDS011 query, MH-Z19B read CO₂, NMEA $PMTK000 test, Modbus read of one register of unit 1),
 * and report the bytes seen, the frames each known protocol recognised, the checksum errors
 * and the device the line most likely carries.
 */
export interface ProbeOptions {
  readonly path: string;
  readonly baud: number;
  readonly seconds: number;
  /** send the safe queries (default true); false only listens */
  readonly send: boolean;
}

export interface ProtocolCount {
  readonly type: string;
  readonly part: string;
  readonly frames: number;
  readonly checksumErrors: number;
}

export interface ProbeReport {
  readonly path: string;
  readonly baud: number;
  readonly seconds: number;
  readonly bytes: number;
  /** the first bytes received, hex, to compare with a datasheet */
  readonly firstBytes: string;
  readonly sent: readonly string[];
  readonly protocols: readonly ProtocolCount[];
  /** device type of the most likely part, if any protocol verified a frame */
  readonly likely: { readonly type: string; readonly part: string } | undefined;
  /** one sentence for the technician */
  readonly verdict: string;
  readonly error?: string;
}

interface Listener {
  readonly type: string;
  readonly part: string;
  readonly hunter: FrameHunter;
  readonly query: Uint8Array | undefined;
}

function listeners(): Listener[] {
  const out: Listener[] = [];
  for (const d of DEVICE_TYPES) {
    if (!d.serial) continue;
    const p = d.serial.probe;
    out.push({ type: d.type, part: p.part, hunter: new FrameHunter(p.format), query: p.query });
  }
  return out;
}

function verdictFor(r: Omit<ProbeReport, 'verdict'>): string {
  if (r.error) return `cannot open ${r.path}: ${r.error}`;
  if (r.likely) {
    const c = r.protocols.find((p) => p.type === r.likely?.type);
    const noisy = c && c.checksumErrors > c.frames / 10 ? ` (${c.checksumErrors} checksum errors: check wiring, ground and cable length)` : '';
    return `${r.likely.part} at ${r.baud} Bd: profile type "${r.likely.type}"${noisy}`;
  }
  if (r.bytes === 0) {
    return r.sent.length > 0
      ? 'nothing received, not even an answer to the queries: check power, that the sensor TX goes to the adapter RX (crossed), and common ground'
      : 'nothing received: check power and TX→RX crossing; parts that only answer queries (MH-Z19B, Modbus) stay silent unless queried';
  }
  const bad = r.protocols.reduce((n, p) => n + p.checksumErrors, 0);
  if (bad > 0) return `${r.bytes} bytes with frame headers but failing checksums: wrong baud rate, noise, or a 5 V part on 3.3 V pins without level shifting`;
  return `${r.bytes} bytes but no known protocol: wrong baud rate (try --baud 4800, 19200, 115200) or a part edgefw does not know`;
}

/**
 * Run the probe on an open-able link. `open` makes the link (tests pass a mock or a pty link);
 * the probe is a tool, not a driver: it may sleep.
 */
export async function probeSerial(o: ProbeOptions, open: (spec: SerialPortSpec) => SerialLink = openRealSerialLink): Promise<ProbeReport> {
  const ls = listeners();
  const link = open({ path: o.path, baudRate: o.baud, owner: 'probe' });
  let bytes = 0;
  let first: number[] = [];
  const sent: string[] = [];
  const base = { path: o.path, baud: o.baud, seconds: o.seconds };
  const counts = (): ProtocolCount[] =>
    ls.map((l) => ({ type: l.type, part: l.part, frames: l.hunter.stats.frames, checksumErrors: l.hunter.stats.checksumErrors }));
  try {
    await link.open();
  } catch (e) {
    const error = isDeviceError(e) ? e.message : String(e);
    const r = { ...base, bytes: 0, firstBytes: '', sent, protocols: counts(), likely: undefined, error };
    return { ...r, verdict: verdictFor(r) };
  }
  const off = link.onData((chunk) => {
    bytes += chunk.length;
    if (first.length < 32) first = first.concat([...chunk.subarray(0, 32 - first.length)]);
    for (const l of ls) l.hunter.push(chunk);
  });
  const totalMs = o.seconds * 1000;
  const start = performance.now();
  // listen first: a streaming part names itself without being asked
  await sleep(Math.min(1500, totalMs / 3));
  if (o.send && !ls.some((l) => l.hunter.stats.frames > 0)) {
    for (const l of ls) {
      if (!l.query || !link.isOpen) continue;
      try {
        await link.write(l.query);
        sent.push(`${l.type}: ${hexBytes(l.query.length > 24 ? l.query.subarray(0, 24) : l.query)}${l.query.length > 24 ? ' …' : ''}`);
      } catch {
        break;
      }
      await sleep(150); // leave the line quiet between queries (Modbus needs ≥ 3.5 characters)
    }
  }
  await sleep(Math.max(0, totalMs - (performance.now() - start)));
  off();
  await link.close();
  const protocols = counts();
  const best = [...protocols].filter((p) => p.frames > 0).sort((a, b) => b.frames - a.frames)[0];
  const r = {
    ...base,
    bytes,
    firstBytes: hexBytes(Uint8Array.from(first)),
    sent,
    protocols,
    likely: best ? { type: best.type, part: best.part } : undefined,
  };
  return { ...r, verdict: verdictFor(r) };
}

export function formatProbeReport(r: ProbeReport): string {
  if (r.error) return `→ ${r.verdict}`;
  const lines = [`${r.path} at ${r.baud} Bd, ${r.seconds} s: ${r.bytes} bytes received`];
  if (r.firstBytes) lines.push(`  first bytes: ${r.firstBytes}`);
  for (const s of r.sent) lines.push(`  sent ${s}`);
  for (const p of r.protocols) {
    if (p.frames > 0 || p.checksumErrors > 0) lines.push(`  ${p.part.padEnd(34)} ${String(p.frames).padStart(5)} frames  ${String(p.checksumErrors).padStart(4)} checksum errors`);
  }
  lines.push(`→ ${r.verdict}`);
  return lines.join('\n');
}

/** `edgefw probe serial` (creates the `probe` group if no other probe registered it yet). */
export function registerProbeSerial(program: Command): void {
  const probe = program.commands.find((c) => c.name() === 'probe') ?? program.command('probe').description('find out what is connected to a port');
  const cmd = probe
    .command('serial')
    .description('listen on a serial port (and send safe queries) to find out which device is on it')
    .requiredOption('--path <path>', 'serial device, e.g. /dev/serial/by-id/usb-…-if00-port0 or /dev/ttyAMA0')
    .option('--baud <bps>', 'line speed, bit/s', '9600')
    .option('--seconds <s>', 'how long to listen', '5')
    .option('--listen-only', 'send nothing (for a line shared with a running master)')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { path: string; baud: string; seconds: string; listenOnly?: boolean; json?: boolean }) => {
      const baud = Number(opts.baud);
      const seconds = Number(opts.seconds);
      if (!Number.isInteger(baud) || baud < 50 || baud > 4_000_000) cmd.error(`--baud ${opts.baud} is not a baud rate (e.g. 9600)`);
      if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 600) cmd.error(`--seconds ${opts.seconds} is not a number of seconds between 0 and 600`);
      const r = await probeSerial({ path: opts.path, baud, seconds, send: !opts.listenOnly });
      console.log(opts.json ? JSON.stringify(r, null, 2) : formatProbeReport(r));
      if (r.error) process.exitCode = 2;
      else if (!r.likely) process.exitCode = 1;
    });
}
