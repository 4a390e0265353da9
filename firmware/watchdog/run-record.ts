import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** How the previous run of the service ended. */
export type RunEnd = 'first-start' | 'clean' | 'crash' | 'watchdog';

export interface PreviousRun {
  readonly end: RunEnd;
  readonly boot: number | undefined;
  readonly startedAt: number | undefined;
  /** what systemd said (ExecStopPost: $SERVICE_RESULT $EXIT_CODE $EXIT_STATUS) or why we had stopped pinging */
  readonly detail: string | undefined;
}

interface StateFile {
  state: 'running' | 'stopped';
  boot: number;
  pid: number;
  startedAt: number;
  endedAt?: number;
  /** set while the watchdog withholds its pings: if systemd kills us now, it is the watchdog */
  withheld?: string;
  withheldAt?: number;
}

/** Name of the file the unit's ExecStopPost= writes (tools/systemd/edgefw.service). */
export const LAST_EXIT_FILE = 'last-exit';

/**
 * Why did the previous run end? Two witnesses in the data directory:
 *  - run-state.json, which this process writes: "running" at start, "stopped" after a clean
 *    stop, and the reason whenever the watchdog withholds its pings;
 *  - last-exit, written by systemd's ExecStopPost= with $SERVICE_RESULT (success, exit-code,
 *    signal, core-dump, watchdog, timeout), $EXIT_CODE and $EXIT_STATUS.
 * "running" left behind means the process did not stop cleanly: "watchdog" if systemd says so
 * or pings were being withheld, "crash" otherwise. Writes are temp-file + rename.
 */
export class RunRecord {
  private current: StateFile | undefined;
  private readonly file: string;

  constructor(private readonly dataDir: string) {
    this.file = join(dataDir, 'run-state.json');
  }

  /** Read how the previous run ended and mark this one running. */
  begin(boot: number, nowMs: number): PreviousRun {
    const prev = this.readState();
    const exit = this.readLastExit(prev?.startedAt);
    this.current = { state: 'running', boot, pid: process.pid, startedAt: nowMs };
    this.write();
    if (!prev) return { end: 'first-start', boot: undefined, startedAt: undefined, detail: exit };
    if (prev.state === 'stopped') return { end: 'clean', boot: prev.boot, startedAt: prev.startedAt, detail: exit };
    const byWatchdog = exit?.startsWith('watchdog') === true || prev.withheld !== undefined;
    const detail = [exit ? `systemd: ${exit}` : undefined, prev.withheld ? `watchdog pings withheld: ${prev.withheld}` : undefined].filter(Boolean).join('; ');
    return { end: byWatchdog ? 'watchdog' : 'crash', boot: prev.boot, startedAt: prev.startedAt, detail: detail || undefined };
  }

  /** The watchdog stopped pinging for this reason (undefined: it pings again). */
  withholding(reason: string | undefined, nowMs: number): void {
    if (!this.current || this.current.withheld === reason) return;
    if (reason === undefined) {
      delete this.current.withheld;
      delete this.current.withheldAt;
    } else {
      this.current.withheld = reason;
      this.current.withheldAt = nowMs;
    }
    this.write();
  }

  /** A clean stop. */
  end(nowMs: number): void {
    if (!this.current) return;
    this.current = { ...this.current, state: 'stopped', endedAt: nowMs };
    delete this.current.withheld;
    this.write();
  }

  private readState(): StateFile | undefined {
    try {
      const s = JSON.parse(readFileSync(this.file, 'utf8')) as StateFile;
      return s.state === 'running' || s.state === 'stopped' ? s : undefined;
    } catch {
      return undefined;
    }
  }

  /** systemd's word on the previous exit, if it was written after that run started; consumed. */
  private readLastExit(startedAt: number | undefined): string | undefined {
    const f = join(this.dataDir, LAST_EXIT_FILE);
    try {
      const fresh = startedAt === undefined || statSync(f).mtimeMs >= startedAt - 1000;
      const text = readFileSync(f, 'utf8').trim();
      rmSync(f, { force: true });
      return fresh && text ? text : undefined;
    } catch {
      return undefined;
    }
  }

  /** The record is a witness, never a reason to stop: a read-only or full disk only loses it. */
  private write(): void {
    const tmp = `${this.file}.tmp`;
    try {
      writeFileSync(tmp, `${JSON.stringify(this.current)}\n`, { mode: 0o640 });
      renameSync(tmp, this.file);
      this.writeError = undefined;
    } catch (e) {
      this.writeError = (e as NodeJS.ErrnoException).code ?? String(e);
    }
  }

  /** Why the last write failed (EROFS, ENOSPC), or undefined; STORAGE_UNWRITABLE reports the disk. */
  writeError: string | undefined;
}
