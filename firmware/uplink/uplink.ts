import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Clock } from '../../drivers/bus/clock.js';
import type { ActiveFault, FaultEvent, FaultSink } from '../diagnostics/registry.js';
import type { PeriodicTask, Scheduler } from '../loop/scheduler.js';
import type { Sample } from '../reading.js';
import { startUplinkWorker, takeUplinkWorker } from './prestart.js';
import type { FromWorker, ToWorker, UplinkConfig, UplinkStats } from './protocol.js';
import type { CommandResult, VerifiedCommand } from '../commands/specs.js';
import type { CommandGateConfig } from './commands.js';
import type { BrokerProbe } from '../diagnostics/broker-probe.js';

export interface UplinkOptions {
  readonly config: UplinkConfig;
  /** samples per message to the worker, at most */
  readonly batchMaxSamples: number;
  /** a partial batch goes to the worker after this long, ms */
  readonly batchMaxDelayMs: number;
  /**
   * Hand readings over as soon as the burst that produced them is done (at the end of the event
   * loop turn, setImmediate) instead of on a batchMaxDelayMs timer: devices that share a deadline
   * deliver their readings in one turn, so that is one message to the worker per deadline and no
   * wake-up of the sampling thread of its own. For an uplink with an outbox, which turns what
   * it receives into committed rows and makes messages from those (the runtime sets it then).
   */
  readonly flushAfterBurst?: boolean;
}

const EMPTY_STATS: UplinkStats = {
  connected: false, received: 0, acked: 0, pending: 0, dropped: 0, messagesInFlight: 0, connects: 0, lastError: undefined,
};

/**
 * The sampling thread's side of the uplink seam: collects samples into batches and hands them
 * to the uplink worker (postMessage), which owns MQTT and storage. Never blocks: submit() only
 * pushes into an array.
 */
export class Uplink {
  private worker: Worker | undefined;
  private batch: Sample[] = [];
  private flushTask: PeriodicTask | undefined;
  private latest: UplinkStats = EMPTY_STATS;
  private readonly listeners: ((s: UplinkStats) => void)[] = [];
  private commandHandler: ((command: VerifiedCommand) => Promise<CommandResult>) | undefined;
  private stopped: Promise<void> | undefined;
  private faultSink: FaultSink | undefined;
  private clockTask: PeriodicTask | undefined;
  private flushPending = false;
  private probes = new Map<number, (r: BrokerProbe) => void>();
  private nextProbe = 1;

  constructor(
    private readonly options: UplinkOptions,
    private readonly scheduler: Scheduler,
    private readonly log: Logger,
  ) {}

  start(): void {
    // `edgefw run` started the thread while the sampling thread was still loading (prestart.ts)
    const w = takeUplinkWorker() ?? startUplinkWorker();
    this.worker = w;
    w.on('message', (m: FromWorker) => this.onMessage(m));
    w.on('error', (e) => this.log.error({ err: e }, 'uplink worker crashed'));
    this.post({ t: 'init', config: this.options.config });
    this.startHandOver();
  }

  /** @internal (start() calls it; tests call it without a worker) */
  startHandOver(): void {
    if (!this.options.flushAfterBurst) this.flushTask = this.scheduler.every('uplink-batch', this.options.batchMaxDelayMs, () => this.flush());
  }

  submit(sample: Sample): void {
    this.batch.push(sample);
    if (this.batch.length >= this.options.batchMaxSamples) this.flush();
    else if (this.options.flushAfterBurst && !this.flushPending) {
      this.flushPending = true;
      setImmediate(this.flushBurst);
    }
  }

  private readonly flushBurst = (): void => {
    this.flushPending = false;
    this.flush();
  };

  /** Faults the worker sees (outbox storage, drops) go to this registry. */
  reportFaults(sink: FaultSink): void {
    this.faultSink = sink;
  }

  /**
   * Until wall time is trusted, check once a second; when it becomes trusted, tell the worker
   * wall − monotonic at that moment, so readings taken before get wall = mono + offset.
   */
  watchClock(clock: Clock): void {
    if (clock.timeSource() !== 'none') return;
    this.clockTask = this.scheduler.every('clock-trust', 1000, () => {
      const source = clock.timeSource();
      if (source === 'none') return;
      this.clockTask?.cancel();
      this.flush();
      this.post({ t: 'clock', offsetMs: clock.wallMs() - clock.monoMs(), source });
      this.log.info({ source }, 'wall clock trusted');
    });
  }

  faults(active: readonly ActiveFault[], events: readonly FaultEvent[]): void {
    this.post({ t: 'faults', active, events });
  }

  /** Publish under <prefix>/<box>/<suffix> (QoS 1); a retained message is re-sent after each reconnect. */
  publish(suffix: string, payload: string, retain = false): void {
    this.post({ t: 'publish', topic: suffix, payload, retain });
  }

  /** A reloaded trust list and command limits for the worker's gate (counters and nonces carry over). */
  reconfigureCommands(config: CommandGateConfig): void {
    this.post({ t: 'commands', config });
  }

  /**
   * Run verified commands (the worker has checked signature, freshness, nonce, permission and
   * arguments); the result goes back to the worker, which signs and publishes the reply.
   */
  handleCommands(handler: (command: VerifiedCommand) => Promise<CommandResult>): void {
    this.commandHandler = handler;
  }

  /**
   * diag's broker probe, run in the uplink worker with the uplink's broker URL, login and TLS
   * files (its own short connection, as `edgefw diag` makes): the sampling thread never loads
   * mqtt.js for the periodic self-test. Never rejects; resolves within timeoutMs + 2 s.
   */
  probeBroker(base: string, timeoutMs: number): Promise<BrokerProbe> {
    if (!this.worker || this.stopped) return Promise.resolve({ ok: false, error: 'the uplink is not running' });
    const id = this.nextProbe++;
    return new Promise<BrokerProbe>((resolve) => {
      const cancel = this.scheduler.after(timeoutMs + 2000, () => {
        this.probes.delete(id);
        resolve({ ok: false, error: `the uplink worker did not answer within ${timeoutMs + 2000} ms` });
      });
      this.probes.set(id, (r) => {
        cancel();
        resolve(r);
      });
      this.post({ t: 'probe', id, base, timeoutMs });
    });
  }

  stats(): UplinkStats {
    return this.latest;
  }

  onStats(listener: (s: UplinkStats) => void): void {
    this.listeners.push(listener);
  }

  flush(): void {
    if (this.batch.length === 0) return;
    const samples = this.batch;
    this.batch = [];
    this.post({ t: 'samples', samples });
  }

  /** Flush, publish offline status, disconnect, end the worker. Resolves within ~1.5 s. */
  stop(): Promise<void> {
    if (this.stopped) return this.stopped;
    this.flushTask?.cancel();
    this.clockTask?.cancel();
    this.flush();
    const w = this.worker;
    if (!w) return Promise.resolve();
    this.stopped = new Promise<void>((resolve) => {
      const done = (): void => {
        void w.terminate().then(() => resolve());
      };
      w.once('exit', () => resolve());
      w.on('message', (m: FromWorker) => {
        if (m.t === 'stopped') done();
      });
      this.scheduler.after(1500, done);
      this.post({ t: 'stop' });
    });
    return this.stopped;
  }

  private post(m: ToWorker): void {
    this.worker?.postMessage(m);
  }

  private onMessage(m: FromWorker): void {
    if (m.t === 'stats') {
      this.latest = m.stats;
      for (const l of this.listeners) l(m.stats);
    } else if (m.t === 'command') {
      const handler = this.commandHandler;
      const command = m.command;
      const done = (result: CommandResult): void => this.post({ t: 'reply', command, result });
      if (!handler) done({ ok: false, reason: 'not-ready', error: 'the box is still starting; try again' });
      else handler(command).then(done, (e: unknown) => done({ ok: false, reason: 'error', error: e instanceof Error ? e.message : String(e) }));
    } else if (m.t === 'fault') {
      if (m.op === 'raise') this.faultSink?.raise({ code: m.code, subject: m.subject, message: m.message, ...(m.details ? { details: m.details } : {}) });
      else this.faultSink?.clear(m.code, m.subject);
    } else if (m.t === 'probe') {
      const done = this.probes.get(m.id);
      this.probes.delete(m.id);
      done?.(m.result);
    } else if (m.t === 'log') {
      this.log[m.level](m.fields ?? {}, m.msg);
    }
  }
}
