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
  /** true when `t` was re-stamped after the read: monotonic time of the read + the wall−monotonic
   * offset measured when the clock became trusted (the read itself happened with tq 'none') */
  readonly re?: true;
  /** values by channel */
  readonly v: Readonly<Record<string, number | null>>;
  /** units by channel */
  readonly u: Readonly<Record<string, string>>;
  readonly w?: { readonly start: number; readonly end: number; readonly n: number };
}

export interface TelemetryPayload {
  readonly v: number;
  readonly box: string;
  /** boot counter of the start in which these samples were read (may be older than the current boot) */
  readonly boot: number;
  /** true for backlog: readings that waited in the outbox and are sent behind live ones */
  readonly hist?: true;
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

export function encodeTelemetry(box: string, boot: number, samples: readonly WireSample[], historical = false): string {
  const p: TelemetryPayload = { v: PAYLOAD_VERSION, box, boot, ...(historical ? { hist: true as const } : {}), samples };
  return JSON.stringify(p);
}

/**
 * The same JSON as encodeTelemetry, from samples already encoded (one or more per fragment, joined
 * by commas, as the outbox stores them): a message is assembled without parsing or re-encoding.
 */
export function encodeTelemetryBodies(box: string, boot: number, bodies: readonly string[], historical = false): string {
  return `{"v":${PAYLOAD_VERSION},"box":${JSON.stringify(box)},"boot":${boot},${historical ? '"hist":true,' : ''}"samples":[${bodies.join(',')}]}`;
}

export interface StatusPayload {
  readonly v: number;
  readonly box: string;
  readonly state: 'online' | 'offline';
  readonly boot: number;
  readonly fw: string;
  /** the box's Ed25519 public key (raw 32 bytes, base64) and key id: replies are signed by it */
  readonly key?: string;
  readonly keyId?: string;
  /** wall ms when this state began */
  readonly since: number;
  /** why the box went offline: 'shutdown' (clean stop) or 'connection lost' (last will) */
  readonly reason?: string;
  /** next sequence per device at the time of this message (a last will carries the values of its connect) */
  readonly seq?: Readonly<Record<string, number>>;
  /** the outbox: readings stored, readings lost by its bounds since start (exact), storage mode */
  readonly outbox?: OutboxStatus;
}

export interface OutboxStatus {
  readonly mode: 'disk' | 'memory' | 'off';
  readonly pending: number;
  readonly dropped: { readonly oldest: number; readonly rejected: number; readonly expired: number };
}
