import type { Logger } from 'pino';
import type { PeriodicTask, Scheduler } from '../loop/scheduler.js';
import type { Notifier } from './notify.js';
import type { RunRecord } from './run-record.js';

export interface WatchdogOptions {
  /** WatchdogSec= in ms; pings go out every half of it */
  readonly intervalMs: number;
  /** samples handed to storage and not committed for this long means storage is wedged, ms */
  readonly storageStallMs: number;
}

export interface WatchdogStats {
  readonly pings: number;
  readonly withheld: number;
  readonly withholding: string | undefined;
}

/**
 * The health-gated systemd watchdog. READY=1 once the loop runs; WATCHDOG=1 every
 * intervalMs/2 only while
 *  - the sampling loop advances: other scheduler tasks ran since the last ping (a ping timer
 *    that fires on a loop where nothing else runs any more proves nothing), and
 *  - storage commits: everything handed to the outbox is committed, or commits progressed
 *    within storageStallMs. The outbox calls committed(); until the durable outbox lands the
 *    runtime feeds it from the uplink worker's accepted count.
 * When a condition fails the pings stop, systemd kills and restarts the service after
 * WatchdogSec, and the reason is in run-state.json for the next start to report.
 */
export class Watchdog {
  private task: PeriodicTask | undefined;
  private submittedTotal = 0;
  private committedTotal = 0;
  private lastCommitProgressMono: number;
  private lastLoopRuns = 0;
  private pings = 0;
  private withheld = 0;
  private reason: string | undefined;

  constructor(
    private readonly options: WatchdogOptions,
    private readonly scheduler: Scheduler,
    private readonly notifier: Notifier,
    private readonly record: RunRecord | undefined,
    private readonly log: Logger,
    private readonly wallMs: () => number = Date.now,
  ) {
    this.lastCommitProgressMono = scheduler.now();
  }

  /** Tell systemd we are up, then start pinging (unless the unit has no WatchdogSec=). */
  async ready(status: string, ping = true): Promise<void> {
    await this.send(`READY=1\nSTATUS=${status}`);
    if (!ping) return;
    this.lastLoopRuns = this.loopRuns();
    // first ping half an interval after READY: the loop has had time to advance by then
    const half = this.options.intervalMs / 2;
    this.log.info({ watchdogMs: this.options.intervalMs, pingMs: half }, 'systemd watchdog armed: pinging every half of WatchdogSec while the box is healthy');
    this.task = this.scheduler.every('watchdog', half, () => this.tick(), { phaseMs: half });
  }

  /** Samples handed to storage (the sampling side calls this). */
  submitted(n: number): void {
    if (this.submittedTotal === this.committedTotal) this.lastCommitProgressMono = this.scheduler.now();
    this.submittedTotal += n;
  }

  /** Storage committed everything up to this running total (the outbox calls this after each commit). */
  committed(total: number): void {
    if (total > this.committedTotal) {
      this.committedTotal = total;
      this.lastCommitProgressMono = this.scheduler.now();
    }
  }

  stats(): WatchdogStats {
    return { pings: this.pings, withheld: this.withheld, withholding: this.reason };
  }

  async stopping(): Promise<void> {
    this.task?.cancel();
    await this.send('STOPPING=1');
  }

  /** Why pinging now would be a lie, or undefined when the box is healthy. */
  private loopRuns(): number {
    return this.scheduler
      .allStats()
      .filter((t) => t.name !== 'watchdog')
      .reduce((a, t) => a + t.runs + t.overruns, 0);
  }

  private verdict(): string | undefined {
    const runs = this.loopRuns();
    const advanced = runs > this.lastLoopRuns;
    this.lastLoopRuns = runs;
    if (!advanced) return 'sampling loop did not advance';
    const waiting = this.submittedTotal - this.committedTotal;
    const stalledMs = this.scheduler.now() - this.lastCommitProgressMono;
    if (waiting > 0 && stalledMs > this.options.storageStallMs) return `storage committed nothing for ${Math.round(stalledMs)} ms with ${waiting} samples waiting`;
    return undefined;
  }

  private tick(): void {
    const why = this.verdict();
    if (why !== this.reason) {
      if (why) this.log.error({ reason: why }, 'watchdog pings withheld; systemd restarts the service unless this recovers');
      else this.log.info('watchdog pings resumed');
      this.record?.withholding(why, this.wallMs());
      this.reason = why;
    }
    if (why) {
      this.withheld++;
      return;
    }
    this.pings++;
    void this.send('WATCHDOG=1');
  }

  private async send(state: string): Promise<void> {
    try {
      await this.notifier.notify(state);
    } catch (e) {
      this.log.warn({ err: e }, 'sd_notify failed');
    }
  }
}
