import type { RuntimeStatus } from '../firmware/runtime.js';
import type { Sample, SampleValue } from '../firmware/reading.js';

const fmt = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) >= 100 ? 1 : 2));

/** The demo's live view: one line per device with its state and latest values. */
export class LiveConsole {
  /** latest value per device and channel (the pipeline reports channels at different times) */
  private readonly latest = new Map<string, Map<string, SampleValue>>();

  sample(s: Sample): void {
    let m = this.latest.get(s.device);
    if (!m) this.latest.set(s.device, (m = new Map()));
    for (const v of s.values) m.set(v.channel, v);
  }

  print(status: RuntimeStatus): void {
    const lines: string[] = [];
    const up = status.uplink;
    lines.push(
      `── box ${status.box} · boot ${status.boot} · broker ${up.connected ? 'connected' : 'DISCONNECTED'} · published ${up.acked} · pending ${up.pending}` +
        (up.dropped ? ` · DROPPED ${up.dropped}` : ''),
    );
    for (const d of status.devices) {
      const s = this.latest.get(d.id);
      const values = s ? [...s.values()].map((v) => `${v.channel} ${fmt(v.value)} ${v.unit}`).join(' · ') : '—';
      const err = d.state === 'ok' ? '' : `  [${d.lastError?.code ?? ''}]`;
      lines.push(`  ${d.id.padEnd(14)} ${d.state.padEnd(10)} ${values}${err}`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  }
}
