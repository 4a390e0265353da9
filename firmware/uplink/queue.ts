import type { TimeSource } from '../../drivers/bus/clock.js';
import type { Sample } from '../reading.js';
import { type WireSample, toWire } from './payload.js';

/**
 * A lane of the queue. After an outage the session publishes current readings first ('live')
 * and drains what piled up ('backlog') behind them at a bounded rate; backlog messages carry
 * `hist: true` so the platform knows they are late.
 */
export type Lane = 'live' | 'backlog';

/** A batch taken for publishing: acknowledged (removed) or released (kept) as a whole. */
export interface Batch {
  readonly id: number;
  /** boot counter of the start in which every sample of the batch was taken */
  readonly boot: number;
  /** random id of that start ('' for readings stored by an older version) */
  readonly bootId: string;
  readonly lane: Lane;
  /** samples in the batch */
  readonly count: number;
  /**
   * the samples as the JSON that goes on the wire, in fragments of one or more samples joined by
   * commas (the outbox stores them so; nothing re-encodes them): `[${bodies.join(',')}]` is the array
   */
  readonly bodies: readonly string[];
  /** the samples parsed (on first use: publishing needs only `bodies`) */
  readonly samples: readonly WireSample[];
}

export function makeBatch(id: number, boot: number, bootId: string, lane: Lane, bodies: readonly string[], count = bodies.length): Batch {
  let parsed: WireSample[] | undefined;
  return {
    id, boot, bootId, lane, count, bodies,
    get samples(): readonly WireSample[] {
      parsed ??= JSON.parse(`[${bodies.join(',')}]`) as WireSample[];
      return parsed;
    },
  };
}

/** What happens to new readings when the queue is full. */
export type OverflowPolicy = 'drop-oldest' | 'reject-new';

export interface QueueBounds {
  /** samples kept at most (waiting and in flight) */
  readonly maxRows: number;
  /** bytes of encoded samples kept at most */
  readonly maxBytes: number;
  /** samples older than this (ms since they were stored) are dropped; 0 = no age limit */
  readonly maxAgeMs: number;
  readonly policy: OverflowPolicy;
}

/** Readings lost by the bounds since start, by cause. Every one of them is counted exactly once. */
export interface DropCounts {
  /** removed to make room (policy drop-oldest) */
  readonly oldest: number;
  /** refused on arrival (policy reject-new) */
  readonly rejected: number;
  /** older than maxAgeMs */
  readonly expired: number;
}

export const totalDrops = (d: DropCounts): number => d.oldest + d.rejected + d.expired;

/**
 * Between the sampling thread and the broker: samples wait here, get their per-device
 * sequence, and are taken in batches for publishing.
 * - append() only buffers; commit() assigns sequences and makes the samples takeable (for the
 *   durable outbox: one transaction on disk; stage() numbers and hands them out earlier, from
 *   memory, and the commit stores what is still unacknowledged). A sequence is consumed even by a
 *   sample the bounds refuse, so every gap the platform sees is a counted loss.
 * - take() never returns a sample that is already in flight; ack() removes a batch for good;
 *   release()/releaseAll() put batches back to be taken again, oldest first.
 * - splitBacklog(): what is stored now becomes the backlog lane; what is committed later is live.
 * - restamp(): wall time became trustworthy; samples of this boot read with an untrusted clock
 *   get wall time = their monotonic time + offsetMs before they leave.
 */
export interface SampleQueue {
  append(samples: readonly Sample[]): void;
  /**
   * Optional (the durable outbox): number what was appended and make it takeable now, published
   * from memory; commit() then makes durable what of it is still unacknowledged. Without stage()
   * nothing appended is takeable before commit().
   */
  stage?(): void;
  commit(): void;
  take(maxSamples: number, lane: Lane): Batch | undefined;
  ack(batchId: number): void;
  release(batchId: number): void;
  releaseAll(): void;
  splitBacklog(): void;
  restamp(offsetMs: number, source: TimeSource): void;
  /** samples stored (committed, not acknowledged) */
  pending(): number;
  drops(): DropCounts;
  /** next sequence of each device that has one */
  sequences(): Record<string, number>;
  close(): void;
}

/** Per-device sequence counters of a queue without storage, from 0 at each start. */
export class SeqCounter {
  readonly next = new Map<string, number>();
  take(dev: string): number {
    const s = this.next.get(dev) ?? 0;
    this.next.set(dev, s + 1);
    return s;
  }
}

/** A stored sample as both queues hold it. */
export interface Entry {
  readonly id: number;
  readonly boot: number;
  readonly bootId: string;
  readonly mono: number;
  readonly created: number;
  readonly bytes: number;
  readonly wire: WireSample;
  /** JSON of `wire` */
  readonly body: string;
}

/** Wall time of an untrusted sample recomputed from its monotonic time (see SampleQueue.restamp). */
export interface TimeFix {
  readonly boot: number;
  readonly offsetMs: number;
  readonly source: TimeSource;
}

export function fixTime(w: WireSample, mono: number, boot: number, fix: TimeFix | undefined): WireSample {
  if (!fix || w.tq !== 'none' || boot !== fix.boot) return w;
  return { ...w, t: Math.round(mono + fix.offsetMs), tq: fix.source, re: true };
}

export interface MemoryQueueOptions extends QueueBounds {
  readonly boot: number;
  readonly bootId?: string;
  /** shared with the durable outbox when this queue is its fallback ring */
  readonly batchIds?: { next: number };
  readonly wallNow?: () => number;
}

const lowerBound = (a: readonly Entry[], id: number): number => {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid] as Entry).id < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
};

/**
 * In-memory queue with bounds: the queue of a box without durable storage, and the durable
 * outbox's fallback ring while its disk is full or read-only. Without a shared counter,
 * sequences start at 0 each boot (the (boot, seq) pair stays unique).
 */
export class MemoryQueue implements SampleQueue {
  /** committed, not in flight, ordered by id */
  private waiting: Entry[] = [];
  private readonly inflight = new Map<number, { lane: Lane; entries: Entry[] }>();
  private buffer: Sample[] = [];
  private readonly seqs: SeqCounter;
  private readonly batchIds: { next: number };
  private readonly wallNow: () => number;
  private nextId = 1;
  private boundary = 0;
  private rows = 0;
  private bytes = 0;
  private fix: TimeFix | undefined;
  private dropped = { oldest: 0, rejected: 0, expired: 0 };
  /** lowest sequence per device among the readings dropped since forgetDropped() */
  private droppedLow = new Map<string, number>();

  constructor(private readonly options: MemoryQueueOptions) {
    this.seqs = new SeqCounter();
    this.batchIds = options.batchIds ?? { next: 1 };
    this.wallNow = options.wallNow ?? Date.now;
  }

  append(samples: readonly Sample[]): void {
    for (const s of samples) this.buffer.push(s);
  }

  commit(): void {
    const now = this.wallNow();
    const samples = this.buffer;
    this.buffer = [];
    for (const s of samples) this.push(toWire(s, this.seqs.take(s.device)), s.monoMs, now);
    this.expire(now);
  }

  /** Store samples whose sequence is already assigned (the outbox's ring). */
  push(wire: WireSample, mono: number, created: number, boot = this.options.boot, bootId = this.options.bootId ?? ''): boolean {
    const body = JSON.stringify(wire);
    const bytes = Buffer.byteLength(body);
    const o = this.options;
    if (o.policy === 'reject-new' && (this.rows + 1 > o.maxRows || this.bytes + bytes > o.maxBytes)) {
      this.dropped.rejected++;
      this.noteDrop(wire);
      return false;
    }
    this.waiting.push({ id: this.nextId++, boot, bootId, mono, created, bytes, wire, body });
    this.rows++;
    this.bytes += bytes;
    while ((this.rows > o.maxRows || this.bytes > o.maxBytes) && this.waiting.length > 0) {
      this.noteDrop((this.waiting[0] as Entry).wire);
      this.remove(0);
      this.dropped.oldest++;
    }
    return true;
  }

  take(maxSamples: number, lane: Lane): Batch | undefined {
    const start = lane === 'live' ? lowerBound(this.waiting, this.boundary + 1) : 0;
    const end = lane === 'live' ? this.waiting.length : lowerBound(this.waiting, this.boundary + 1);
    if (start >= end) return undefined;
    const { boot, bootId } = this.waiting[start] as Entry;
    let n = 0;
    for (; n < maxSamples && start + n < end; n++) {
      const e = this.waiting[start + n] as Entry;
      if (e.boot !== boot || e.bootId !== bootId) break;
    }
    const entries = this.waiting.splice(start, n);
    const id = this.batchIds.next++;
    this.inflight.set(id, { lane, entries });
    return makeBatch(id, boot, bootId, lane, entries.map((e) => this.bodyOf(e)));
  }

  ack(batchId: number): void {
    const b = this.inflight.get(batchId);
    if (!b) return;
    this.inflight.delete(batchId);
    for (const e of b.entries) {
      this.rows--;
      this.bytes -= e.bytes;
    }
  }

  release(batchId: number): void {
    const b = this.inflight.get(batchId);
    if (!b) return;
    this.inflight.delete(batchId);
    const first = b.entries[0];
    if (!first) return;
    this.waiting.splice(lowerBound(this.waiting, first.id), 0, ...b.entries);
  }

  releaseAll(): void {
    for (const id of [...this.inflight.keys()]) this.release(id);
  }

  owns(batchId: number): boolean {
    return this.inflight.has(batchId);
  }

  splitBacklog(): void {
    this.boundary = this.nextId - 1;
  }

  restamp(offsetMs: number, source: TimeSource): void {
    this.fix = { boot: this.options.boot, offsetMs, source };
  }

  /** Lowest sequence per device among the readings held (waiting or in flight). */
  lowestSeqs(): Map<string, number> {
    const low = new Map<string, number>();
    const see = (e: Entry): void => {
      const l = low.get(e.wire.dev);
      if (l === undefined || e.wire.seq < l) low.set(e.wire.dev, e.wire.seq);
    };
    for (const e of this.waiting) see(e);
    for (const b of this.inflight.values()) for (const e of b.entries) see(e);
    for (const [dev, seq] of this.droppedLow) if (seq < (low.get(dev) ?? Number.POSITIVE_INFINITY)) low.set(dev, seq);
    return low;
  }

  /** The drops so far are counted elsewhere (the outbox's file): stop reporting their sequences. */
  forgetDropped(): void {
    this.droppedLow.clear();
  }

  private noteDrop(w: WireSample): void {
    if (w.seq < (this.droppedLow.get(w.dev) ?? Number.POSITIVE_INFINITY)) this.droppedLow.set(w.dev, w.seq);
  }

  /** Bytes of the readings waiting (the outbox checks the disk has room before moving them). */
  waitingBytes(): number {
    let b = 0;
    for (const e of this.waiting) b += e.bytes;
    return b;
  }

  /** Remove and return what waits (not in flight): the outbox moves it to disk when disk returns. */
  drainWaiting(): Entry[] {
    const out = this.waiting;
    this.waiting = [];
    for (const e of out) {
      this.rows--;
      this.bytes -= e.bytes;
    }
    return out.map((e) => {
      const wire = fixTime(e.wire, e.mono, e.boot, this.fix);
      return wire === e.wire ? e : { ...e, wire, body: JSON.stringify(wire) };
    });
  }

  private bodyOf(e: Entry): string {
    const wire = fixTime(e.wire, e.mono, e.boot, this.fix);
    return wire === e.wire ? e.body : JSON.stringify(wire);
  }

  pending(): number {
    return this.rows;
  }

  drops(): DropCounts {
    return { ...this.dropped };
  }

  sequences(): Record<string, number> {
    return Object.fromEntries(this.seqs.next);
  }

  close(): void {
    this.waiting = [];
    this.inflight.clear();
    this.rows = 0;
    this.bytes = 0;
  }

  private expire(now: number): void {
    const age = this.options.maxAgeMs;
    if (age <= 0) return;
    while (this.waiting.length > 0 && (this.waiting[0] as Entry).created < now - age) {
      this.noteDrop((this.waiting[0] as Entry).wire);
      this.remove(0);
      this.dropped.expired++;
    }
  }

  private remove(index: number): void {
    const [e] = this.waiting.splice(index, 1);
    if (!e) return;
    this.rows--;
    this.bytes -= e.bytes;
  }
}
