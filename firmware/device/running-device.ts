import type { Logger } from 'pino';
import type { Clock } from '../../drivers/bus/clock.js';
import { DeviceError, toDeviceError } from '../../drivers/errors.js';
import type { ChannelSpec, ChannelValue, Driver, ReadResult } from '../../drivers/types.js';
import { FAULTS, type FaultCode } from '../diagnostics/catalog.js';
import type { FaultSink } from '../diagnostics/registry.js';
import type { PeriodicTask, Scheduler } from '../loop/scheduler.js';
import type { Sample, SampleSink } from '../reading.js';
import { Backoff } from './backoff.js';

/**
 * probing: init() not yet succeeded · ok: reading · degraded: recent reads failed ·
 * failed: too many failures, re-probing with backoff · recovering: re-probed, awaiting a good read.
 */
export type DeviceState = 'probing' | 'ok' | 'degraded' | 'failed' | 'recovering';

export interface RunningDeviceOptions {
  readonly id: string;
  readonly type: string;
  readonly intervalMs: number;
  readonly phaseMs: number;
  readonly timeoutMs: number;
  /** immediate retries of a retryable error within one tick (EREMOTEIO glitches) */
  readonly retries?: number;
  /** consecutive failed ticks before the device is declared failed and re-probed */
  readonly failAfter?: number;
  readonly backoffMinMs?: number;
  readonly backoffMaxMs?: number;
}

export interface DeviceStatus {
  readonly id: string;
  readonly type: string;
  readonly state: DeviceState;
  readonly reads: number;
  readonly errors: number;
  readonly consecutiveErrors: number;
  readonly lastError: { readonly code: string; readonly message: string } | undefined;
  readonly lastValues: readonly ChannelValue[];
  readonly lastSampleMono: number | undefined;
  readonly identity: Readonly<Record<string, string | number | boolean>>;
  readonly nextProbeInMs: number | undefined;
}

export interface RunningDeviceDeps {
  readonly scheduler: Scheduler;
  readonly clock: Clock;
  readonly faults: FaultSink;
  readonly sink: SampleSink;
  readonly log: Logger;
  /** called after every successful init(): the part (re)started, so warm-up filters start over */
  readonly onInit?: (device: string) => void;
}

/**
 * Wraps one driver: serialises its reads, bounds each by a timeout, retries glitches, moves it
 * through its lifecycle, re-probes a failed device with capped backoff (soft-resetting it where
 * the driver can) and feeds the fault registry. A device that comes back is re-initialised and
 * sampled again without a restart; other devices never wait for it.
 */
export class RunningDevice {
  private stateValue: DeviceState = 'probing';
  private task: PeriodicTask | undefined;
  private cancelProbe: (() => void) | undefined;
  private probeAtMono: number | undefined;
  private readonly backoff: Backoff;
  private readonly units: Map<string, string>;
  private readonly raised = new Set<FaultCode>();
  private conditions = new Set<FaultCode>();
  private reads = 0;
  private errors = 0;
  private consecutive = 0;
  private lastError: DeviceError | undefined;
  private lastValues: readonly ChannelValue[] = [];
  private lastSampleMono: number | undefined;
  private stopped = false;
  private probing = false;
  private reading = false;
  /** exclusive() sections under way: no read starts while one runs */
  private held = 0;

  constructor(
    readonly driver: Driver,
    private opts: RunningDeviceOptions,
    private readonly deps: RunningDeviceDeps,
  ) {
    this.backoff = new Backoff(opts.backoffMinMs ?? 1000, opts.backoffMaxMs ?? 60_000);
    this.units = new Map(driver.channels.map((c: ChannelSpec) => [c.name, c.unit]));
  }

  get state(): DeviceState {
    return this.stateValue;
  }

  get id(): string {
    return this.opts.id;
  }

  start(): void {
    const { scheduler } = this.deps;
    this.scheduleProbe(this.opts.phaseMs);
    // on the scheduler's grid: devices with the same interval and phase sample in one wake-up
    this.task = scheduler.every(this.opts.id, this.opts.intervalMs, () => this.tick(), { phaseMs: this.opts.phaseMs, align: true });
  }

  get options(): RunningDeviceOptions {
    return this.opts;
  }

  /**
   * A profile reload changed the sampling interval or the read timeout (SIGHUP). The periodic
   * task is replaced; its first tick comes one new interval from now. A read in progress finishes
   * under the timeout it started with.
   */
  retime(intervalMs: number, timeoutMs: number): void {
    if (intervalMs === this.opts.intervalMs && timeoutMs === this.opts.timeoutMs) return;
    const changedInterval = intervalMs !== this.opts.intervalMs;
    this.opts = { ...this.opts, intervalMs, timeoutMs };
    if (!changedInterval || this.stopped || !this.task) return;
    this.task.cancel();
    this.task = this.deps.scheduler.every(this.opts.id, intervalMs, () => this.tick(), { phaseMs: intervalMs });
  }

  /**
   * Re-initialise the part now (a technician replugged it; the `reprobe` command, the site's
   * reprobe action): sampling pauses, a read in progress finishes first (never a probe between
   * a measure command and its read), then init() runs at once with the backoff reset. A device
   * that answers goes ok; one that does not keeps its faults. Resolves with the state after.
   */
  async reprobe(): Promise<DeviceState> {
    if (this.stopped) return this.stateValue;
    this.stateValue = 'probing';
    while (this.reading) await this.deps.scheduler.wait(10);
    // the read that was in flight may have set its own state (a good read: ok): this is a probe
    this.stateValue = 'probing';
    this.cancelProbe?.();
    this.cancelProbe = undefined;
    this.probeAtMono = undefined;
    this.backoff.reset();
    await this.probe();
    return this.stateValue;
  }

  /**
   * Run fn with the part to itself (the on-site scan, diag's probe and identify): sampling
   * pauses, a read or probe in progress finishes first, and no new one starts until fn is done.
   */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    this.held++;
    try {
      while (this.reading || this.probing) await this.deps.scheduler.wait(10);
      return await fn();
    } finally {
      this.held--;
    }
  }

  /** Values a driver pushes outside the schedule (edges, streamed frames). */
  emit(values: readonly ChannelValue[]): void {
    if (this.stopped) return;
    this.publish('event', values, this.deps.clock.monoMs(), this.deps.clock.wallMs());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.task?.cancel();
    this.cancelProbe?.();
    if (this.driver.safeState) {
      // outputs to their safe state at shutdown, before the line or port is released
      try {
        await this.driver.safeState();
      } catch (e) {
        const err = toDeviceError(e);
        this.deps.log.error({ device: this.id, code: err.code }, `safe state at shutdown failed: ${err.message}`);
      }
    }
    try {
      await this.driver.close?.();
    } catch (e) {
      this.deps.log.warn({ device: this.id, err: e }, 'close failed');
    }
  }

  status(): DeviceStatus {
    let identity: Readonly<Record<string, string | number | boolean>> = {};
    try {
      identity = this.driver.describe();
    } catch {
      /* not initialised */
    }
    return {
      id: this.id,
      type: this.opts.type,
      state: this.stateValue,
      reads: this.reads,
      errors: this.errors,
      consecutiveErrors: this.consecutive,
      lastError: this.lastError ? { code: this.lastError.code, message: this.lastError.message } : undefined,
      lastValues: this.lastValues,
      lastSampleMono: this.lastSampleMono,
      identity,
      nextProbeInMs: this.probeAtMono === undefined ? undefined : Math.max(0, this.probeAtMono - this.deps.scheduler.now()),
    };
  }

  taskStats(): ReturnType<PeriodicTask['stats']> | undefined {
    return this.task?.stats();
  }

  private scheduleProbe(delayMs: number): void {
    this.cancelProbe?.();
    this.probeAtMono = this.deps.scheduler.now() + delayMs;
    this.cancelProbe = this.deps.scheduler.after(delayMs, () => {
      this.cancelProbe = undefined;
      this.probeAtMono = undefined;
      void this.probe();
    });
  }

  private async probe(): Promise<void> {
    if (this.stopped || this.probing) return;
    if (this.reading || this.held > 0) {
      // a re-probe asked for while a read (or an exclusive section) is in flight: after it, never under it
      this.scheduleProbe(20);
      return;
    }
    this.probing = true;
    try {
      await this.withTimeout(this.driver.init(), 'init');
      if (this.stopped) return;
      this.deps.log.info({ device: this.id, identity: this.driver.describe() }, this.stateValue === 'probing' ? 'device ready' : 'device answered again');
      this.stateValue = this.stateValue === 'probing' ? 'ok' : 'recovering';
      this.consecutive = 0;
      this.deps.onInit?.(this.id);
      // first reading right away rather than up to one interval later
      this.probing = false;
      void this.tick();
    } catch (e) {
      if (this.stopped) return;
      const err = toDeviceError(e);
      this.noteError(err);
      const delay = this.backoff.next();
      this.deps.log.warn({ device: this.id, code: err.code, retryInMs: Math.round(delay) }, err.message);
      this.scheduleProbe(delay);
    } finally {
      this.probing = false;
    }
  }

  /**
   * One scheduled read: attempts (a retryable error is retried at once, up to `retries`), each
   * bounded by the read timeout, conversion waits included. One async frame and one timer per
   * attempt: this runs for every sample of every device.
   */
  private async tick(): Promise<void> {
    const s = this.stateValue;
    if (this.stopped || this.reading || this.probing || this.held > 0 || s === 'probing' || s === 'failed') return;
    this.reading = true;
    try {
      const startMono = this.deps.clock.monoMs();
      const startWall = this.deps.clock.wallMs();
      const retries = this.opts.retries ?? 2;
      const { scheduler } = this.deps;
      for (let attempt = 0; ; attempt++) {
        this.deadlineMono = scheduler.now() + this.opts.timeoutMs;
        this.deadlinePassed = false;
        const deadline = scheduler.timeout(this.opts.timeoutMs, this.onDeadline);
        try {
          let r: ReadResult = await this.step(this.driver.read());
          this.stepReject = undefined;
          while ('waitMs' in r) {
            await scheduler.wait(r.waitMs);
            r = await this.step(r.next());
            this.stepReject = undefined;
          }
          deadline.cancel();
          if (this.stopped) return;
          this.onGoodRead(r.values, startMono, startWall);
          return;
        } catch (e) {
          deadline.cancel();
          this.stepReject = undefined;
          if (this.stopped) return;
          const err = toDeviceError(e);
          if (err.retryable && attempt < retries) continue;
          this.onBadRead(err);
          return;
        }
      }
    } finally {
      this.reading = false;
    }
  }

  /** monotonic time the read attempt under way must end by */
  private deadlineMono = 0;
  /** the attempt's deadline passed while no step was pending (during a conversion wait) */
  private deadlinePassed = false;
  /** rejects the pending step of the attempt under way with DEVICE_TIMEOUT */
  private stepReject: ((e: unknown) => void) | undefined;

  private readonly onDeadline = (): void => {
    const reject = this.stepReject;
    if (!reject) {
      this.deadlinePassed = true;
      return;
    }
    this.stepReject = undefined;
    reject(this.timeoutError('read'));
  };

  /** A step of a read, raced against the attempt's deadline. */
  private step<T>(p: Promise<T>): Promise<T> {
    // past the deadline already (it passed during a wait): the step gets until the next timer pass, as a late timer would give it
    if (this.deadlinePassed) return this.withTimeout(p, 'read', this.deadlineMono);
    return new Promise<T>((resolve, reject) => {
      this.stepReject = reject;
      p.then(resolve, reject);
    });
  }

  private timeoutError(op: string): DeviceError {
    return new DeviceError('DEVICE_TIMEOUT', `${this.id}: ${op} took longer than ${this.opts.timeoutMs} ms`, {
      retryable: false,
      details: { timeoutMs: this.opts.timeoutMs, op },
    });
  }

  private withTimeout<T>(p: Promise<T>, op: string, deadline = this.deps.scheduler.now() + this.opts.timeoutMs): Promise<T> {
    const remaining = deadline - this.deps.scheduler.now();
    return new Promise<T>((resolve, reject) => {
      const cancel = this.deps.scheduler.after(remaining, () => reject(this.timeoutError(op)));
      p.then(
        (v) => {
          cancel();
          resolve(v);
        },
        (e: unknown) => {
          cancel();
          reject(e);
        },
      );
    });
  }

  private onGoodRead(values: readonly ChannelValue[], monoMs: number, wallMs: number): void {
    this.reads++;
    this.consecutive = 0;
    if (this.stateValue !== 'ok') {
      this.deps.log.info({ device: this.id, from: this.stateValue }, 'device ok');
      this.stateValue = 'ok';
      this.backoff.reset();
    }
    for (const code of this.raised) this.deps.faults.clear(code, this.id);
    this.raised.clear();
    this.reconcileConditions();
    // a read may rightly have nothing to report (a serial part warming up, no new frame yet)
    if (values.length > 0) this.publish('sample', values, monoMs, wallMs);
  }

  private onBadRead(err: DeviceError): void {
    this.noteError(err);
    if (this.consecutive >= (this.opts.failAfter ?? 3)) {
      this.stateValue = 'failed';
      this.raise('DEVICE_FAILED', `${this.id}: ${this.consecutive} reads in a row failed; last: ${err.message}`, { lastCode: err.code });
      const delay = this.backoff.next();
      this.deps.log.error({ device: this.id, code: err.code, retryInMs: Math.round(delay) }, 'device failed; re-probing with backoff');
      void this.resetQuietly().then(() => {
        if (!this.stopped) this.scheduleProbe(delay);
      });
    } else {
      this.stateValue = 'degraded';
      this.deps.log.warn({ device: this.id, code: err.code }, err.message);
    }
  }

  /** Conditions a working device reports (TAMPER_OPEN): raised while listed, cleared after. */
  private reconcileConditions(): void {
    if (!this.driver.conditions) return;
    const now = new Set<FaultCode>();
    for (const c of this.driver.conditions()) {
      if (!(c.code in FAULTS)) continue;
      const code = c.code as FaultCode;
      now.add(code);
      this.deps.faults.raise({ code, subject: this.id, message: c.message, details: {} });
    }
    for (const code of this.conditions) if (!now.has(code)) this.deps.faults.clear(code, this.id);
    this.conditions = now;
  }

  private async resetQuietly(): Promise<void> {
    if (!this.driver.reset) return;
    try {
      await this.withTimeout(this.driver.reset(), 'reset');
    } catch {
      /* a part that cannot even reset is re-probed all the same */
    }
  }

  private noteError(err: DeviceError): void {
    this.errors++;
    this.consecutive++;
    this.lastError = err;
    this.raise(err.code, err.message, { ...err.details, retryable: err.retryable });
  }

  private raise(code: FaultCode, message: string, details: Record<string, unknown>): void {
    this.raised.add(code);
    this.deps.faults.raise({ code, subject: this.id, message, details });
  }

  private publish(kind: Sample['kind'], values: readonly ChannelValue[], monoMs: number, wallMs: number): void {
    this.lastValues = values;
    this.lastSampleMono = monoMs;
    const out = values.map((v) => ({ channel: v.channel, value: v.value, unit: this.units.get(v.channel) ?? '' }));
    this.deps.sink({ device: this.id, kind, monoMs, wallMs, timeSource: this.deps.clock.timeSource(), values: out });
  }
}
