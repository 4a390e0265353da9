import type { Sample } from '../reading.js';
import { type WireSample, toWire } from './payload.js';

/** A batch taken for publishing: acknowledged (removed) or released (kept) as a whole. */
export interface Batch {
  readonly id: number;
  readonly samples: readonly WireSample[];
}

/**
 * Between the sampling thread and the broker: samples wait here, get their per-device
 * sequence, and are taken in batches for publishing. Removal happens only on acknowledge.
 */
export interface SampleQueue {
  append(samples: readonly Sample[]): void;
  /** Next batch of at most maxSamples not already in flight, oldest first. */
  take(maxSamples: number): Batch | undefined;
  ack(batchId: number): void;
  /** Put a batch that could not be published back in front, to be taken again. */
  release(batchId: number): void;
  /** samples queued or in flight */
  pending(): number;
  /** samples dropped by the bound since start */
  dropped(): number;
}

/**
 * In-memory queue with a bound; past it the oldest waiting samples are dropped and counted.
 * Sequences start at 0 each boot (the (boot, seq) pair stays unique).
 */
export class MemoryQueue implements SampleQueue {
  private readonly waiting: WireSample[] = [];
  private head = 0;
  private readonly inflight = new Map<number, readonly WireSample[]>();
  private readonly seqs = new Map<string, number>();
  private nextBatch = 1;
  private droppedCount = 0;
  private inflightCount = 0;

  constructor(private readonly limit: number) {}

  append(samples: readonly Sample[]): void {
    for (const s of samples) {
      const seq = this.seqs.get(s.device) ?? 0;
      this.seqs.set(s.device, seq + 1);
      this.waiting.push(toWire(s, seq));
    }
    const excess = this.waiting.length - this.head + this.inflightCount - this.limit;
    if (excess > 0) {
      const n = Math.min(excess, this.waiting.length - this.head);
      this.head += n;
      this.droppedCount += n;
    }
    if (this.head > 4096 && this.head * 2 > this.waiting.length) {
      this.waiting.splice(0, this.head);
      this.head = 0;
    }
  }

  take(maxSamples: number): Batch | undefined {
    if (this.head >= this.waiting.length) return undefined;
    const end = Math.min(this.waiting.length, this.head + maxSamples);
    const samples = this.waiting.slice(this.head, end);
    this.head = end;
    const id = this.nextBatch++;
    this.inflight.set(id, samples);
    this.inflightCount += samples.length;
    return { id, samples };
  }

  ack(batchId: number): void {
    const b = this.inflight.get(batchId);
    if (!b) return;
    this.inflight.delete(batchId);
    this.inflightCount -= b.length;
  }

  release(batchId: number): void {
    const b = this.inflight.get(batchId);
    if (!b) return;
    this.inflight.delete(batchId);
    this.inflightCount -= b.length;
    if (this.head >= b.length) {
      this.head -= b.length;
      for (let i = 0; i < b.length; i++) this.waiting[this.head + i] = b[i] as WireSample;
    } else {
      this.waiting.splice(this.head, 0, ...b);
    }
  }

  pending(): number {
    return this.waiting.length - this.head + this.inflightCount;
  }

  dropped(): number {
    return this.droppedCount;
  }
}
