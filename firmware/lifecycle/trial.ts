import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Scheduler } from '../loop/scheduler.js';
import type { UplinkStats } from '../uplink/protocol.js';
import { type LifecycleState, STATE_FILE, committedLink, compareSemver, pointLink, readState, writeState } from './state.js';

export interface TrialGateDeps {
  readonly stateDir: string;
  readonly version: string;
  readonly boxId: string;
  readonly scheduler: Scheduler;
  readonly log: Logger;
  readonly onStats: (listener: (s: UplinkStats) => void) => void;
  /** publish the retained <base>/update record */
  readonly publish: (payload: string) => void;
  /** is the watchdog withholding its pings (why), or undefined */
  readonly watchdogWithholding: () => string | undefined;
  /** end this run cleanly (the service restarts; the guard then rolls back) */
  readonly stop: () => void;
  readonly wallMs?: () => number;
}

/** The retained <base>/update record (docs/mqtt.md). */
export function updateRecord(s: LifecycleState, boxId: string, running: string): string {
  return JSON.stringify({
    v: 1,
    box: boxId,
    state: s.state,
    version: s.version,
    running,
    previous: s.previous ?? null,
    committed: s.committed,
    floor: s.floor,
    reason: s.reason ?? null,
    ...(s.trial ? { trial: { starts: s.trial.starts, maxStarts: s.trial.maxStarts, windowMs: s.trial.windowMs, settleMs: s.trial.settleMs } } : {}),
    at: new Date(s.at).toISOString(),
  });
}

/**
 * The runtime's side of an update. At start it reads the journal; when this process is the
 * version on trial it watches what the watchdog watches, plus the uplink: the sampling loop
 * advances, storage commits what it is given (the outbox's committed count, or the worker's
 * accepted count without one), the broker was reached or the outbox accepts, and the
 * watchdog is not withholding its pings. All of them, without a break, for `settleMs`:
 * committed (journal first, then the `committed` link; the floor rises). Not within
 * `windowMs` of this start: the verdict goes into the journal and the run ends cleanly, the
 * service restarts and the start-up guard rolls back. A crash or a hang never reaches this
 * code: the guard counts starts, and the watchdog kills a hung loop.
 *
 * Whatever the state, it publishes the retained `update` record at start and whenever the
 * journal changes (an `edgefw update` on the box writes it), polling the file's mtime every 2 s.
 */
export class TrialGate {
  private healthySince: number | undefined;
  private startedMono: number;
  private lastLoopRuns = 0;
  private lastAdvanceMono: number;
  private committedTotal = 0;
  private committedAtStart: number | undefined;
  private reached = false;
  private lastSeq = -1;
  private lastMtime = 0;
  private done = false;
  private current: LifecycleState | undefined;
  private why = 'not checked yet';

  constructor(private readonly deps: TrialGateDeps) {
    this.startedMono = deps.scheduler.now();
    this.lastAdvanceMono = this.startedMono;
  }

  start(): void {
    const { deps } = this;
    deps.onStats((s) => {
      const c = s.outbox?.mode === 'disk' && s.outbox.committed !== undefined ? s.outbox.committed : s.received;
      this.committedAtStart ??= c;
      this.committedTotal = Math.max(this.committedTotal, c);
      if (s.connects > 0 || (s.outbox?.mode === 'disk' && (s.outbox.committed ?? 0) > 0)) this.reached = true;
    });
    this.publishIfChanged();
    deps.scheduler.every('update-journal', 1000, () => this.tick(), { phaseMs: 1000 });
  }

  private state(): LifecycleState | undefined {
    try {
      return readState(this.deps.stateDir);
    } catch (e) {
      this.deps.log.error({ err: e }, 'update journal unreadable');
      return undefined;
    }
  }

  private publishIfChanged(): LifecycleState | undefined {
    let mtime = 0;
    try {
      mtime = statSync(join(this.deps.stateDir, STATE_FILE)).mtimeMs;
    } catch {
      return undefined;
    }
    if (mtime === this.lastMtime) return undefined;
    this.lastMtime = mtime;
    const s = this.state();
    if (s) this.current = s;
    if (s && s.seq !== this.lastSeq) {
      this.lastSeq = s.seq;
      this.deps.publish(updateRecord(s, this.deps.boxId, this.deps.version));
    }
    return s;
  }

  private loopRuns(): number {
    return this.deps.scheduler
      .allStats()
      .filter((t) => t.name !== 'update-journal')
      .reduce((a, t) => a + t.runs, 0);
  }

  /** Why the box is not healthy now, or undefined. */
  private verdict(): string | undefined {
    const runs = this.loopRuns();
    const now = this.deps.scheduler.now();
    if (runs > this.lastLoopRuns) this.lastAdvanceMono = now;
    this.lastLoopRuns = runs;
    if (now - this.lastAdvanceMono > 5000) return 'sampling loop not running';
    // a stall after the first commit is the watchdog's to judge (storageStallMs)
    if (this.committedAtStart === undefined || this.committedTotal <= this.committedAtStart) return 'storage has committed nothing since start';
    if (!this.reached) return 'broker never reached and outbox not accepting';
    const wd = this.deps.watchdogWithholding();
    if (wd) return `watchdog withholding pings: ${wd}`;
    return undefined;
  }

  private tick(): void {
    this.publishIfChanged();
    if (this.done) return;
    const s = this.current;
    const t = s?.trial;
    if (!s || s.state !== 'trial' || !t || t.version !== this.deps.version) return;
    const now = this.deps.scheduler.now();
    const why = this.verdict();
    if (why) {
      this.healthySince = undefined;
      this.why = why;
    } else this.healthySince ??= now;
    if (this.healthySince !== undefined && now - this.healthySince >= t.settleMs) {
      this.done = true;
      const wall = this.deps.wallMs?.() ?? Date.now();
      const floor = compareSemver(t.version, s.floor) > 0 ? t.version : s.floor;
      const next = writeState(this.deps.stateDir, s, { state: 'committed', version: t.version, committed: t.version, previous: s.committed, floor, reason: `healthy for ${Math.round(t.settleMs / 1000)} s on start ${t.starts}`, installDir: s.installDir }, wall);
      pointLink({ installDir: s.installDir }, committedLink({ installDir: s.installDir }), t.version);
      this.deps.log.info({ version: t.version, previous: s.committed }, 'update committed: the new version proved healthy');
      this.publishIfChanged() ?? this.deps.publish(updateRecord(next, this.deps.boxId, this.deps.version));
      return;
    }
    if (now - this.startedMono >= t.windowMs) {
      this.done = true;
      const verdict = `${t.version} not healthy within ${Math.round(t.windowMs / 1000)} s: ${this.why}`;
      writeState(this.deps.stateDir, s, { ...s, trial: { ...t, verdict } }, this.deps.wallMs?.() ?? Date.now());
      this.deps.log.error({ version: t.version, reason: this.why }, 'update not healthy within its window: stopping so the guard rolls back');
      this.deps.stop();
    }
  }
}
