import { LatencyHistogram, type LatencySummary } from './histogram.js';
import { type TimerSource, realTimers } from './timers.js';

export interface PeriodicOptions {
  /** offset of the first run from now, ms (spreads devices across their interval) */
  readonly phaseMs?: number;
  /**
   * Put the deadlines on the scheduler's grid instead of counting from now: phase + k·interval
   * on its clock (the first at or after now). Tasks with the same interval and phase then share
   * each deadline and run in one wake-up of the thread, whenever each was started.
   */
  readonly align?: boolean;
}

export interface TaskStats {
  readonly name: string;
  readonly intervalMs: number;
  /** runs started */
  readonly runs: number;
  /** ticks skipped because the previous run was still going */
  readonly overruns: number;
  /** ticks skipped because the loop was more than one interval late */
  readonly missed: number;
  /** lateness of started runs against their absolute deadline, ms */
  readonly lateness: LatencySummary;
}

export interface PeriodicTask {
  readonly name: string;
  stats(): TaskStats;
  resetStats(): void;
  cancel(): void;
}

type RunFn = (deadline: number) => void | Promise<void>;

/** Something in the scheduler's heap: due at `at`, ties broken by `seq` (first pushed first). */
abstract class Entry {
  at = 0;
  seq = 0;
  cancelled = false;
  abstract fire(now: number): void;
}

/** A one-shot timer (after(), wait(), timeout()): one object per timer, nothing else. */
class Once extends Entry {
  constructor(
    private readonly fn: () => void,
    private readonly owner: Scheduler,
  ) {
    super();
  }

  fire(): void {
    try {
      this.fn();
    } catch (err) {
      this.owner.onError('after', err);
    }
  }

  cancel(): void {
    this.cancelled = true;
  }
}

/** A pending one-shot timer that can be cancelled (Scheduler.timeout). */
export interface Timeout {
  cancel(): void;
}

/**
 * A periodic task is its own heap entry: each run pushes the same object again for the next
 * deadline, and the handlers of a run's promise are made once, so a tick allocates nothing of
 * the scheduler's own.
 */
class Periodic extends Entry implements PeriodicTask {
  busy = false;
  runs = 0;
  overruns = 0;
  missed = 0;
  readonly hist = new LatencyHistogram();
  private deadline = 0;

  constructor(
    readonly name: string,
    readonly intervalMs: number,
    readonly fn: RunFn,
    private readonly owner: Scheduler,
  ) {
    super();
  }

  /** Put the next run at `deadline` (the task is not in the heap: new, or just popped). */
  schedule(deadline: number): void {
    this.deadline = deadline;
    this.owner.enqueue(this, deadline);
  }

  fire(now: number): void {
    const deadline = this.deadline;
    const intervalMs = this.intervalMs;
    let next = deadline + intervalMs;
    if (now >= next) {
      // the loop stalled across whole intervals: skip them, never queue them up
      const behind = Math.floor((now - deadline) / intervalMs);
      this.missed += behind;
      next = deadline + (behind + 1) * intervalMs;
    }
    this.schedule(next);
    if (this.busy) {
      this.overruns++;
      return;
    }
    this.runs++;
    this.hist.record(now - deadline);
    this.busy = true;
    let r: void | Promise<void>;
    try {
      r = this.fn(deadline);
    } catch (e) {
      this.busy = false;
      this.owner.onError(this.name, e);
      return;
    }
    if (r && typeof (r as Promise<void>).then === 'function') (r as Promise<void>).then(this.done, this.failed);
    else this.busy = false;
  }

  private readonly done = (): void => {
    this.busy = false;
  };

  private readonly failed = (e: unknown): void => {
    this.busy = false;
    this.owner.onError(this.name, e);
  };

  stats(): TaskStats {
    return { name: this.name, intervalMs: this.intervalMs, runs: this.runs, overruns: this.overruns, missed: this.missed, lateness: this.hist.summary() };
  }

  resetStats(): void {
    this.runs = 0;
    this.overruns = 0;
    this.missed = 0;
    this.hist.reset();
  }

  cancel(): void {
    this.cancelled = true;
    this.owner.forget(this);
  }
}

/**
 * The one owner of time on its thread. Every periodic task runs on absolute deadlines
 * (deadline_k = start + phase + k·interval) taken from the monotonic clock, so lateness never
 * accumulates into drift. A tick whose previous run is still going is skipped and counted as an
 * overrun; ticks that fall entirely inside a stall are skipped and counted as missed — late work
 * is never queued up. One timer is armed at a time, for the earliest deadline; a timer that fires
 * early (Node timers can, by ~1-2 ms) is re-armed for the remainder.
 */
export class Scheduler {
  private heap: Entry[] = [];
  private seq = 0;
  private armedAt = Number.POSITIVE_INFINITY;
  private handle: unknown;
  private stopped = false;
  private readonly tasks = new Set<Periodic>();
  /** timer callbacks so far: how often the thread was woken for scheduled work */
  wakeups = 0;
  /** inside onTimer's pass: entries pushed meanwhile are armed once, after the pass */
  private inPass = false;
  /** Called with errors thrown by task functions (they must not kill the loop). */
  onError: (name: string, e: unknown) => void = () => {};


  constructor(private readonly timers: TimerSource = realTimers) {}

  now(): number {
    return this.timers.now();
  }

  /** Run fn every intervalMs on absolute deadlines. */
  every(name: string, intervalMs: number, fn: RunFn, options: PeriodicOptions = {}): PeriodicTask {
    if (!(intervalMs > 0)) throw new RangeError(`${name}: interval must be > 0 ms`);
    const task = new Periodic(name, intervalMs, fn, this);
    this.tasks.add(task);
    const phase = options.phaseMs ?? 0;
    if (options.align) {
      const now = this.now();
      task.schedule(phase + Math.ceil((now - phase) / intervalMs) * intervalMs);
    } else task.schedule(this.now() + phase);
    return task;
  }

  /**
   * Run fn once after delayMs (at the next whole millisecond of the clock at or after it: Node's
   * timers have 1 ms granularity anyway, and waits that end within the same millisecond, such as
   * the conversions of devices that share a deadline, then end in one wake-up). Returns a cancel
   * function.
   */
  after(delayMs: number, fn: () => void): () => void {
    const e = this.timeout(delayMs, fn);
    return () => e.cancel();
  }

  /** after() for hot paths: the timer itself is the handle (one object, no cancel closure). */
  timeout(delayMs: number, fn: () => void): Timeout {
    const e = new Once(fn, this);
    this.enqueue(e, Math.ceil(this.now() + Math.max(0, delayMs)));
    return e;
  }

  /** A promise that resolves after delayMs on this scheduler (for drivers' conversion waits). */
  wait(delayMs: number): Promise<void> {
    return new Promise((resolve) => void this.timeout(delayMs, resolve));
  }

  /** Lateness of every run of the tasks whose names pass `include`, pooled into one distribution. */
  pooledLateness(include: (name: string) => boolean): LatencySummary {
    const h = new LatencyHistogram();
    for (const t of this.tasks) if (include(t.name)) h.add(t.hist);
    return h.summary();
  }

  /** Start counting afresh (after a warm-up). */
  resetStats(): void {
    for (const t of this.tasks) t.resetStats();
  }

  allStats(): TaskStats[] {
    return [...this.tasks].map((t) => t.stats());
  }

  /** @internal */
  forget(task: Periodic): void {
    this.tasks.delete(task);
  }

  stop(): void {
    this.stopped = true;
    if (this.handle !== undefined) this.timers.clear(this.handle);
    this.handle = undefined;
    this.heap = [];
    for (const t of this.tasks) t.cancelled = true;
    this.tasks.clear();
  }

  /** @internal Put an entry (not in the heap) in the heap for `at`. */
  enqueue(e: Entry, at: number): void {
    e.at = at;
    e.seq = this.seq++;
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const child = h[i] as Entry;
      const parent = h[p] as Entry;
      if (!before(child, parent)) break;
      h[i] = parent;
      h[p] = child;
      i = p;
    }
    this.arm();
  }

  private pop(): Entry | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l] as Entry, h[m] as Entry)) m = l;
        if (r < h.length && before(h[r] as Entry, h[m] as Entry)) m = r;
        if (m === i) break;
        const t = h[i] as Entry;
        h[i] = h[m] as Entry;
        h[m] = t;
        i = m;
      }
    }
    return top;
  }

  private arm(): void {
    if (this.stopped || this.inPass) return;
    while (this.heap.length > 0 && (this.heap[0] as Entry).cancelled) this.pop();
    const top = this.heap[0];
    if (!top) return;
    if (top.at >= this.armedAt && this.handle !== undefined) return;
    if (this.handle !== undefined) this.timers.clear(this.handle);
    this.armedAt = top.at;
    this.handle = this.timers.set(this.fireDue, top.at - this.now());
  }

  private readonly fireDue = (): void => this.onTimer();

  private onTimer(): void {
    this.wakeups++;
    this.handle = undefined;
    this.armedAt = Number.POSITIVE_INFINITY;
    const now = this.now();
    // run everything due; an entry pushed while running with at <= now runs in this pass too.
    // The timer is armed once, after the pass: arming on each push would wake the thread again
    // for entries this pass is about to run.
    this.inPass = true;
    try {
      for (;;) {
        const top = this.heap[0];
        if (!top || top.at > now) break;
        this.pop();
        if (!top.cancelled) top.fire(now);
        if (this.stopped) return;
      }
    } finally {
      this.inPass = false;
    }
    this.arm();
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
