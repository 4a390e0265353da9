import type { RuntimeStatus } from '../firmware/runtime.js';
import type { DeviceStatus } from '../firmware/device/running-device.js';
import type { Sample, SampleValue } from '../firmware/reading.js';

const fmt = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) >= 100 ? 1 : 2));
const withUnit = (v: number, unit: string | undefined): string => (unit && unit.trim() !== '' ? `${fmt(v)} ${unit}` : fmt(v));

export interface LiveConsoleOptions {
  /** a terminal: redraw the table in place and keep log lines above it; otherwise append */
  readonly tty: boolean;
  readonly write: (text: string) => void;
  /** terminal width; lines are cut to it so a redraw never miscounts wrapped lines */
  readonly columns?: () => number | undefined;
}

/**
 * The demo's live view: one line per device with its state and latest values.
 *
 * - A published value shows as `temperature 21.53 °C`. A channel the signal pipeline still holds
 *   back (a 60 s mean not yet due, a sliding average not yet full, report-on-change) shows the
 *   latest raw reading marked `~` (`temperature ~21.48 °C`), so nothing stays blank for a
 *   minute and nothing pretends to be published.
 * - A device not yet answering says so: `starting: first probe in 2 s`, `probing: I2C_NACK`.
 * - On a terminal the table is redrawn in place (ANSI cursor movement); log lines go above it.
 *   Piped to a file, each table is appended.
 */
export class LiveConsole {
  /** latest published value per device and channel (the pipeline reports channels at different times) */
  private readonly latest = new Map<string, Map<string, SampleValue>>();
  private readonly units = new Map<string, Map<string, string>>();
  private shown: string[] = [];

  constructor(private readonly options: LiveConsoleOptions = { tty: process.stdout.isTTY === true, write: (t) => void process.stdout.write(t), columns: () => process.stdout.columns }) {}

  /** Units of a device's channels, for raw readings not yet published. */
  setUnits(device: string, channels: readonly { readonly name: string; readonly unit: string }[]): void {
    this.units.set(device, new Map(channels.map((c) => [c.name, c.unit])));
  }

  sample(s: Sample): void {
    let m = this.latest.get(s.device);
    if (!m) this.latest.set(s.device, (m = new Map()));
    for (const v of s.values) m.set(v.channel, v);
  }

  /** A log line: above the table on a terminal, as is otherwise. */
  log(text: string): void {
    if (!this.options.tty || this.shown.length === 0) {
      this.options.write(text);
      return;
    }
    const table = this.shown;
    this.options.write(`${this.erase()}${text}${text.endsWith('\n') ? '' : '\n'}${table.join('\n')}\n`);
    this.shown = table;
  }

  print(status: RuntimeStatus): void {
    const lines = this.table(status);
    if (this.options.tty) {
      const cols = this.options.columns?.();
      const width = cols && cols >= 20 ? cols - 1 : 199;
      const cut = lines.map((l) => (l.length > width ? `${l.slice(0, width - 1)}…` : l));
      this.options.write(`${this.erase()}${cut.join('\n')}\n`);
      this.shown = cut;
    } else this.options.write(`${lines.join('\n')}\n`);
  }

  /** Lines of one table (exported for tests through print with a capturing writer). */
  private table(status: RuntimeStatus): string[] {
    const lines: string[] = [];
    const up = status.uplink;
    lines.push(
      `── box ${status.box} · boot ${status.boot} · broker ${up.connected ? 'connected' : 'DISCONNECTED'} · published ${up.acked} · pending ${up.pending}` +
        (up.dropped ? ` · DROPPED ${up.dropped}` : ''),
    );
    let held = false;
    for (const d of status.devices) {
      const { text, raw } = this.describe(d);
      held ||= raw;
      const err = d.state !== 'ok' && d.state !== 'probing' && d.lastError ? `  [${d.lastError.code}]` : '';
      lines.push(`  ${d.id.padEnd(14)} ${d.state.padEnd(10)} ${text}${err}`);
    }
    if (held) lines.push('  ~ latest raw reading, not yet published: its report period, filter window or change threshold is still collecting');
    return lines;
  }

  private describe(d: DeviceStatus): { text: string; raw: boolean } {
    const published = this.latest.get(d.id);
    const parts = published ? [...published.values()].map((v) => `${v.channel} ${withUnit(v.value, v.unit)}`) : [];
    let raw = false;
    const units = this.units.get(d.id);
    for (const v of d.lastValues) {
      if (published?.has(v.channel)) continue;
      parts.push(`${v.channel} ~${withUnit(v.value, units?.get(v.channel))}`);
      raw = true;
    }
    if (parts.length > 0) return { text: parts.join(' · '), raw };
    if (d.state === 'probing') {
      if (d.lastError) return { text: `probing: ${d.lastError.code} (${d.lastError.message})`, raw };
      const next = d.nextProbeInMs;
      return { text: next && next >= 1000 ? `starting: first probe in ${Math.ceil(next / 1000)} s` : 'starting: probing the part', raw };
    }
    if (d.state === 'ok' || d.state === 'recovering') return { text: 'waiting for the first reading', raw };
    return { text: d.lastError ? d.lastError.message : 'no reading', raw };
  }

  /** ANSI: back to the first line of the table shown last, and clear from there down. */
  private erase(): string {
    const n = this.shown.length;
    this.shown = [];
    return n > 0 ? `\x1b[${n}F\x1b[J` : '';
  }
}
