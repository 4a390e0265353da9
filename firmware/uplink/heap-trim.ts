import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Scheduler } from '../loop/scheduler.js';

/** how often the uplink thread collects its whole heap, ms */
export const HEAP_TRIM_MS = 15_000;

/**
 * A full collection of the uplink thread's heap every 15 s. The thread promotes a steady trickle
 * of short-lived objects (encoded batches, acknowledgements) into its old generation, which V8
 * lets grow to ~18 MB committed before its first full collection and keeps at that size
 * afterwards; collected every 15 s it stays at ~11 MB (measured: docs/footprint.md). A full
 * collection of this heap takes a few milliseconds on this thread, never on the sampling thread.
 * Returns false when V8 refuses to expose its collector (the thread then runs as before).
 */
export function trimHeapPeriodically(scheduler: Scheduler, everyMs = HEAP_TRIM_MS): boolean {
  let gc: unknown;
  try {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc');
  } catch {
    return false;
  }
  if (typeof gc !== 'function') return false;
  const collect = gc as () => void;
  scheduler.every('uplink-heap-trim', everyMs, () => collect(), { phaseMs: everyMs / 2 });
  return true;
}
