import type { Worker } from 'node:worker_threads';
import { startWorker } from '../worker-thread.js';

/**
 * The uplink worker's thread, started before the sampling thread has loaded its own modules and
 * checked the profile: mqtt.js, SQLite and the outbox code load on the second core meanwhile,
 * instead of after everything else (measured: the worker's start was ~0.5 s of the ~1.2 s from
 * spawn to the first reading at the broker; docs/footprint.md). The worker only waits for its
 * `init` message until the runtime takes it, and is unref'd until then, so a refused profile
 * still ends the process at once.
 */
let early: Worker | undefined;
/** the early thread failed (a module that would not load) or ended before it was taken */
let earlyFailed = false;

/** Same limits as a worker started by Uplink.start (firmware/uplink/uplink.ts). */
const UPLINK_WORKER_OPTIONS = {
  // a small young generation for the worker: a burst of messages through it (a command flood,
  // 10,000 messages) then costs ~4 MiB of RSS instead of ~35 MiB (bench security)
  resourceLimits: { maxYoungGenerationSizeMb: 4 },
} as const;

export function startUplinkWorker(): Worker {
  return startWorker(import.meta.url, 'worker', UPLINK_WORKER_OPTIONS);
}

/** `edgefw run` calls this first thing; harmless if nobody takes the worker. Returns the thread (tests). */
export function prestartUplinkWorker(): Worker {
  if (early) return early;
  earlyFailed = false;
  early = startUplinkWorker();
  early.unref();
  // a thread that fails before it is taken is not handed out: the runtime starts a fresh one,
  // whose failure it sees and logs as it always did ('uplink worker crashed')
  early.once('error', () => (earlyFailed = true));
  early.once('exit', () => (earlyFailed = true));
  return early;
}

/** The pre-started worker, once (then the caller owns it), or undefined. */
export function takeUplinkWorker(): Worker | undefined {
  const w = early;
  early = undefined;
  if (!w || earlyFailed) return undefined;
  w.ref();
  return w;
}
