import Database from 'better-sqlite3';
import type { TelemetryPayload, WireSample } from '../../firmware/uplink/payload.js';

/** What an outbox file holds, read the way a technician would with sqlite3. */
export interface OutboxFile {
  readonly integrity: string;
  /** next sequence per device */
  readonly next: Record<string, number>;
  /** stored (unacknowledged) sequences per device */
  readonly stored: Record<string, number[]>;
  /** sequence ranges the box skipped (docs/mqtt.md): [from, to) per device, from null = unknown */
  readonly skips: Skip[];
  /** latest read time (t) of the stored readings of each boot */
  readonly lastT: Record<number, number>;
  /** drops counted in the file (all causes) and the file's id (docs/mqtt.md, status outbox.file) */
  readonly dropped: number;
  readonly fileId: number | undefined;
}

export interface Skip {
  readonly dev: string;
  readonly from: number | null;
  readonly to: number;
  readonly reason: string;
}

export function readOutbox(path: string): OutboxFile {
  const db = new Database(path);
  try {
    const integrity = String(db.pragma('integrity_check', { simple: true }));
    const next: Record<string, number> = {};
    for (const r of db.prepare('SELECT dev, next FROM seqs').all() as { dev: string; next: number }[]) next[r.dev] = r.next;
    const stored: Record<string, number[]> = {};
    const lastT: Record<number, number> = {};
    // one row per batch of readings, one reading's JSON per line (firmware/uplink/outbox-rows.ts)
    for (const r of db.prepare('SELECT boot, body FROM batches ORDER BY id').all() as { boot: number; body: string }[]) {
      for (const line of r.body.split('\n')) {
        const s = JSON.parse(line) as WireSample;
        (stored[s.dev] ??= []).push(s.seq);
        lastT[r.boot] = Math.max(lastT[r.boot] ?? 0, s.t);
      }
    }
    const skips = db.prepare('SELECT dev, "from", "to", reason FROM skips ORDER BY id').all() as Skip[];
    const meta = new Map((db.prepare('SELECT key, value FROM meta').all() as { key: string; value: number }[]).map((r) => [r.key, r.value]));
    const dropped = (meta.get('dropOldest') ?? 0) + (meta.get('dropRejected') ?? 0) + (meta.get('dropExpired') ?? 0);
    return { integrity, next, stored, skips, lastT, dropped, fileId: meta.get('fileId') };
  } finally {
    db.close();
  }
}

export interface Received extends WireSample {
  readonly boot: number;
  readonly hist: boolean;
  /** index of the message it came in, in arrival order */
  readonly msg: number;
}

/** Flatten recorded telemetry messages into samples, keeping arrival order and the payload flags. */
export function receivedSamples(messages: readonly { topic: string; payload: unknown }[]): Received[] {
  const out: Received[] = [];
  messages
    .filter((m) => m.topic.endsWith('/telemetry'))
    .forEach((m, msg) => {
      const p = m.payload as TelemetryPayload;
      for (const s of p.samples) out.push({ ...s, boot: p.boot, hist: p.hist === true, msg });
    });
  return out;
}

/**
 * Per device: the distinct sequences received, after checking that every duplicate is the same
 * reading (same boot, time and values): a reused sequence would show here as a conflict.
 */
export function dedupe(samples: readonly Received[]): { seqs: Map<string, number[]>; duplicates: number; conflicts: string[] } {
  const seen = new Map<string, string>();
  const seqs = new Map<string, number[]>();
  let duplicates = 0;
  const conflicts: string[] = [];
  for (const s of samples) {
    const key = `${s.dev}/${s.seq}`;
    const body = JSON.stringify([s.boot, s.t, s.v]);
    const prev = seen.get(key);
    if (prev !== undefined) {
      duplicates++;
      if (prev !== body) conflicts.push(`${key}: ${prev} vs ${body}`);
      continue;
    }
    seen.set(key, body);
    const list = seqs.get(s.dev) ?? [];
    list.push(s.seq);
    seqs.set(s.dev, list);
  }
  for (const l of seqs.values()) l.sort((a, b) => a - b);
  return { seqs, duplicates, conflicts };
}

export const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

/**
 * Sequences in [0, next) missing from a sorted list, outside the ranges the box reported as
 * skipped for that device (a gap may be millions wide: at most 1000 numbers per gap are listed).
 */
export function missing(sorted: readonly number[], next: number, skips: readonly Skip[] = [], dev?: string): number[] {
  const ranges = skips.filter((k) => dev === undefined || k.dev === dev).map((k) => [k.from ?? Number.NEGATIVE_INFINITY, k.to] as const);
  const inSkip = (n: number): boolean => ranges.some(([a, b]) => n >= a && n < b);
  const out: number[] = [];
  const bounds = [-1, ...new Set(sorted.filter((n) => n < next)), next];
  for (let i = 1; i < bounds.length; i++) {
    let listed = 0;
    for (let n = (bounds[i - 1] as number) + 1; n < (bounds[i] as number) && listed < 1000; n++) {
      if (inSkip(n)) {
        const r = ranges.find(([a, b]) => n >= a && n < b) as readonly [number, number];
        n = r[1] - 1;
        continue;
      }
      out.push(n);
      listed++;
    }
  }
  return out;
}

/** How many integers of [lo, hi) lie outside every range of `ranges` ([from, to) pairs). */
export function outside(lo: number, hi: number, ranges: readonly (readonly [number, number])[]): number {
  let n = hi - lo;
  let at = lo;
  for (const [a, b] of [...ranges].sort((x, y) => x[0] - y[0])) {
    const from = Math.max(a, at);
    const to = Math.min(b, hi);
    if (to > from) {
      n -= to - from;
      at = to;
    }
  }
  return n;
}
