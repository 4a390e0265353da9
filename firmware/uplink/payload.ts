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
  /** random id of that start; absent for readings stored by a version without it */
  readonly bootId?: string;
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

export function encodeTelemetry(box: string, boot: number, samples: readonly WireSample[], historical = false, bootId = ''): string {
  const p: TelemetryPayload = { v: PAYLOAD_VERSION, box, boot, ...(bootId ? { bootId } : {}), ...(historical ? { hist: true as const } : {}), samples };
  return JSON.stringify(p);
}

/**
 * The same JSON as encodeTelemetry, from samples already encoded (one or more per fragment, joined
 * by commas, as the outbox stores them): a message is assembled without parsing or re-encoding.
 */
export function encodeTelemetryBodies(box: string, boot: number, bodies: readonly string[], historical = false, bootId = ''): string {
  const id = bootId ? `"bootId":${JSON.stringify(bootId)},` : '';
  return `{"v":${PAYLOAD_VERSION},"box":${JSON.stringify(box)},"boot":${boot},${id}${historical ? '"hist":true,' : ''}"samples":[${bodies.join(',')}]}`;
}

export interface StatusPayload {
  readonly v: number;
  readonly box: string;
  readonly state: 'online' | 'offline';
  readonly boot: number;
  /** random id of this start: (box, bootId) names one run even when the boot counter repeats */
  readonly bootId?: string;
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
  /** command messages since start: received, accepted, refused by reason (docs/security.md) */
  readonly commands?: { readonly received: number; readonly accepted: number; readonly refused: Readonly<Record<string, number>> };
}

export interface OutboxStatus {
  readonly mode: 'disk' | 'memory' | 'off';
  readonly pending: number;
  /** with an outbox: drops counted in its file over every start (durable); without: since this start */
  readonly dropped: { readonly oldest: number; readonly rejected: number; readonly expired: number };
  /** random id of the outbox file whose counters `dropped` are (a new file after a loss starts new counters) */
  readonly file?: number;
  /** the memory ring this start: drops not yet in the file, readings a stop could not save */
  readonly memory?: { readonly pending: number; readonly dropped: number; readonly discarded: number };
  /** latest sequence skips and fresh ranges (docs/mqtt.md, "Sequences") */
  readonly skips?: readonly OutboxSkip[];
  /** readings of damaged stored rows that could not be kept (counted in the file, all starts); absent when 0 */
  readonly damaged?: number;
}

export interface OutboxSkip {
  readonly dev: string;
  readonly from: number | null;
  readonly to: number;
  readonly reason: string;
  readonly boot: number;
  readonly bootId: string;
  readonly at: number;
  /**
   * false while the skip is not yet in the outbox file (the disk refuses writes): if the box then
   * loses power, numbers of that fresh range that never arrive were lost with its memory
   */
  readonly saved?: false;
}
