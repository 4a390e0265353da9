import type { Sample } from '../reading.js';

/** Version of the JSON payloads; bumped only for incompatible changes (docs/mqtt.md). */
export const PAYLOAD_VERSION = 1;

/** A sample as it leaves the box: the per-device sequence and boot counter make it unique. */
export interface WireSample {
  /** device id */
  readonly dev: string;
  /** per-device sequence, increases by one per published sample of that device */
  readonly seq: number;
  readonly kind: Sample['kind'];
  /** wall time of the read, Unix epoch ms */
  readonly t: number;
  /** time quality: where trust in `t` came from ('none' = not synchronised when read) */
  readonly tq: string;
  /** values by channel */
  readonly v: Readonly<Record<string, number | null>>;
  /** units by channel */
  readonly u: Readonly<Record<string, string>>;
  readonly w?: { readonly start: number; readonly end: number; readonly n: number };
}

export interface TelemetryPayload {
  readonly v: number;
  readonly box: string;
  readonly boot: number;
  readonly samples: readonly WireSample[];
}

export function toWire(s: Sample, seq: number): WireSample {
  const v: Record<string, number | null> = {};
  const u: Record<string, string> = {};
  for (const x of s.values) {
    // JSON has no NaN/Infinity: a non-finite value travels as null
    v[x.channel] = Number.isFinite(x.value) ? x.value : null;
    u[x.channel] = x.unit;
  }
  const w = s.window ? { start: s.window.startMs, end: s.window.endMs, n: s.window.count } : undefined;
  return { dev: s.device, seq, kind: s.kind, t: Math.round(s.wallMs), tq: s.timeSource, v, u, ...(w ? { w } : {}) };
}

export function encodeTelemetry(box: string, boot: number, samples: readonly WireSample[]): string {
  const p: TelemetryPayload = { v: PAYLOAD_VERSION, box, boot, samples };
  return JSON.stringify(p);
}

export interface StatusPayload {
  readonly v: number;
  readonly box: string;
  readonly state: 'online' | 'offline';
  readonly boot: number;
  readonly fw: string;
  /** wall ms when this state began */
  readonly since: number;
  /** why the box went offline: 'shutdown' (clean stop) or 'connection lost' (last will) */
  readonly reason?: string;
}
