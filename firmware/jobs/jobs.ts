import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import type { JobConfig } from '../../config/diagnostics.js';

export type QuietHoursJob = Extract<JobConfig, { action: 'quiet-hours' }>;
import type { Clock } from '../../drivers/bus/clock.js';
import type { FaultSink } from '../diagnostics/registry.js';
import type { PeriodicTask, Scheduler } from '../loop/scheduler.js';

/** What the runtime does when a job fires. */
export interface JobHandlers {
  selfTest(): Promise<void>;
  healthReport(): Promise<void>;
  /** quiet hours of one job begin (true) or end (false) */
  quietHours(on: boolean, job: QuietHoursJob): void;
}

interface Watched {
  readonly job: string;
  readonly task: ScheduledTask;
  /** the run we expect next, wall ms */
  expectedMs: number | undefined;
  lastRunMs: number | undefined;
  /** due times already counted as missed: node-cron, the watcher and a late run can each see the same one */
  readonly counted: number[];
}

export interface JobStatus {
  readonly name: string;
  readonly action: string;
  readonly nextRun: string | undefined;
  readonly runs: number;
  readonly missed: number;
}

/**
 * Profile-declared jobs on wall-clock time with node-cron 4 (six-field patterns, box local time).
 * node-cron skips runs it could not start on time (a blocked loop, a clock step) and does not
 * replay them, so each job is watched: after every run the next expected time is taken from
 * node-cron; a watcher on our scheduler raises JOB_MISSED (subject: job name) when that time
 * has passed by more than `toleranceMs` without a run, or when node-cron reports a run missed or
 * started late. The next on-time run clears it.
 *
 * Quiet hours are two cron patterns (begin, until); the state at start is derived from which
 * comes next: if `until` is due before `schedule`, the box is inside quiet hours now.
 */
export class Jobs {
  private readonly watched: Watched[] = [];
  private watcher: PeriodicTask | undefined;
  private readonly runs = new Map<string, number>();
  private readonly missed = new Map<string, number>();
  /** quiet-hours jobs in their quiet period now */
  private readonly quiet = new Set<string>();

  constructor(
    private readonly jobs: readonly JobConfig[],
    private readonly handlers: JobHandlers,
    private readonly faults: FaultSink,
    private readonly scheduler: Scheduler,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly toleranceMs = 2000,
  ) {}

  get quietHours(): boolean {
    return this.quiet.size > 0;
  }

  /** Names of the quiet-hours jobs in their quiet period now. */
  quietJobs(): string[] {
    return [...this.quiet];
  }

  start(): void {
    cron.setLogger({
      info: (m) => this.log.debug(m),
      warn: (m) => this.log.debug(m), // missed runs are reported as JOB_MISSED instead
      error: (m, e) => this.log.error({ err: e ?? m }, 'cron'),
      debug: (m) => this.log.debug({ msg: String(m) }),
    });
    for (const j of this.jobs) {
      if (j.action === 'quiet-hours') {
        this.watch(j.name, j.schedule, () => this.setQuiet(true, j));
        this.watch(`${j.name}:end`, j.until, () => this.setQuiet(false, j));
        const begin = this.watched.at(-2)?.task.getNextRun();
        const end = this.watched.at(-1)?.task.getNextRun();
        if (begin && end && end.getTime() < begin.getTime()) this.setQuiet(true, j);
      } else {
        const run = j.action === 'self-test' ? (): Promise<void> => this.handlers.selfTest() : (): Promise<void> => this.handlers.healthReport();
        this.watch(j.name, j.schedule, run);
      }
    }
    if (this.watched.length > 0) this.watcher = this.scheduler.every('jobs-watch', 1000, () => this.check());
  }

  stop(): void {
    this.watcher?.cancel();
    for (const w of this.watched) void w.task.destroy();
    this.watched.length = 0;
  }

  status(): JobStatus[] {
    return this.jobs.map((j) => {
      const w = this.watched.find((x) => x.job === j.name);
      return { name: j.name, action: j.action, nextRun: w?.task.getNextRun()?.toISOString(), runs: this.runs.get(j.name) ?? 0, missed: this.missed.get(j.name) ?? 0 };
    });
  }

  private watch(name: string, pattern: string, run: () => void | Promise<void>): void {
    const job = name.split(':')[0] as string;
    const task = cron.createTask(pattern, async (ctx) => {
      const due = ctx.date.getTime();
      const late = ctx.triggeredAt.getTime() - due;
      const expected = w.expectedMs;
      w.lastRunMs = this.clock.wallMs();
      w.expectedMs = task.getNextRun()?.getTime();
      this.runs.set(job, (this.runs.get(job) ?? 0) + 1);
      if (expected !== undefined && due > expected + this.toleranceMs) {
        // node-cron ran a later occurrence: the one we expected was skipped, not replayed
        this.missedRun(w, expected, `no run for the time due ${new Date(expected).toISOString()}; next ran for ${ctx.date.toISOString()}`);
      } else if (late > this.toleranceMs) this.missedRun(w, due, `started ${Math.round(late)} ms late (due ${ctx.date.toISOString()})`);
      else this.faults.clear('JOB_MISSED', job);
      await run();
    }, { name, noOverlap: true });
    const w: Watched = { job, task, expectedMs: undefined, lastRunMs: undefined, counted: [] };
    task.on('execution:missed', (ctx) => this.missedRun(w, ctx.date.getTime(), `node-cron skipped the run due ${ctx.date.toISOString()}`));
    task.on('execution:failed', (ctx) => this.log.warn({ job, err: ctx.execution?.error }, 'job failed'));
    void task.start();
    w.expectedMs = task.getNextRun()?.getTime();
    this.watched.push(w);
  }

  private check(): void {
    const now = this.clock.wallMs();
    for (const w of this.watched) {
      if (w.expectedMs === undefined || now <= w.expectedMs + this.toleranceMs) continue;
      const due = new Date(w.expectedMs).toISOString();
      w.expectedMs = w.task.getNextRun()?.getTime();
      this.missedRun(w, new Date(due).getTime(), `no run for the time due ${due}`);
    }
  }

  /** One missed due time, counted once however many of node-cron, the watcher and the late run report it. */
  private missedRun(w: Watched, dueMs: number, why: string): void {
    const job = w.job;
    if (w.counted.includes(dueMs)) return;
    w.counted.push(dueMs);
    if (w.counted.length > 16) w.counted.shift();
    this.missed.set(job, (this.missed.get(job) ?? 0) + 1);
    this.log.warn({ job, why }, 'job missed');
    this.faults.raise({ code: 'JOB_MISSED', subject: job, message: `job ${job}: ${why}` });
  }

  private setQuiet(on: boolean, job: QuietHoursJob): void {
    if (this.quiet.has(job.name) === on) return;
    if (on) this.quiet.add(job.name);
    else this.quiet.delete(job.name);
    this.log.info({ job: job.name, quiet: on }, on ? 'quiet hours begin' : 'quiet hours end');
    this.handlers.quietHours(on, job);
  }
}
