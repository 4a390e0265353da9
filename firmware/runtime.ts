import type { Logger } from 'pino';
import type { Profile } from '../config/schema.js';
import { type Clock, SystemClock } from '../drivers/bus/clock.js';
import { devicePart } from '../drivers/parts.js';
import { type EmbeddedBroker, startEmbeddedBroker } from './broker/embedded.js';
import { type OpenBuses, openBuses } from './buses.js';
import { type DeviceStatus, RunningDevice } from './device/running-device.js';
import { type FaultEvent, FaultRegistry } from './diagnostics/registry.js';
import type { ExclusiveAt } from './diagnostics/diag.js';
import { Supervisor } from './diagnostics/supervisor.js';
import { Scheduler } from './loop/scheduler.js';
import type { TimerSource } from './loop/timers.js';
import type { Sample } from './reading.js';
import { type RawInspector, sampleFlow } from './pipeline/flow.js';
import { SignalPipeline } from './pipeline/pipeline.js';
import { withPartDecimals } from './pipeline/precision.js';
import { applySafeStates } from './outputs/safe-state.js';
import { type ReloadPlan, planReload } from './reload.js';
import { type BoxIdentity, loadOrCreateIdentity } from './security/identity.js';
import { type BootIdentity, startBoot } from './state/boot.js';
import { CommandExecutor } from './commands/executor.js';
import { commandGateConfig } from './commands/gate-config.js';
import { TrialGate } from './lifecycle/trial.js';
import { startRemoteUpdate } from './lifecycle/remote.js';
import { ensureDir } from './state/dirs.js';
import { tightenStateDir } from './state/files.js';
import type { UplinkStats } from './uplink/protocol.js';
import { uplinkOptions } from './uplink/config.js';
import { transportSecretsOrThrow } from '../config/secrets.js';
import { Uplink } from './uplink/uplink.js';
import { watchBroker } from './uplink/broker-watch.js';
import { FIRMWARE_DATE_MS, FIRMWARE_VERSION } from './version.js';
import { readLastWall, saveLastWall } from './state/last-wall.js';
import type { SiteServer } from './site/server.js';

export interface RuntimeOptions {
  readonly profile: Profile;
  readonly log: Logger;
  readonly timers?: TimerSource;
  /** called with every sample that leaves the sampling thread (the demo console, tests) */
  readonly onSample?: (s: Sample) => void;
  /** environment for systemd's NOTIFY_SOCKET / WATCHDOG_USEC (default process.env) */
  readonly env?: NodeJS.ProcessEnv;
  /** the `restart` command: stop cleanly and exit for systemd to start us again (default: SIGTERM to this process) */
  readonly onRestart?: () => void;
  /** end the run cleanly when an update on trial failed its health window (default: SIGTERM to self) */
  readonly requestStop?: () => void;
}

export interface RuntimeStatus {
  readonly box: string;
  readonly boot: number;
  readonly devices: readonly DeviceStatus[];
  readonly uplink: UplinkStats;
}

/**
 * The composition root: profile in, a running box out. Owns the order of start and stop:
 * storage and identity, broker (demo), uplink worker, buses, devices, world model.
 */
export class Runtime {
  readonly scheduler: Scheduler;
  readonly clock: SystemClock;
  readonly faults: FaultRegistry;
  readonly devices: RunningDevice[] = [];
  private uplink: Uplink | undefined;
  private pipeline: SignalPipeline | undefined;
  /** checks, host health, jobs, watchdog, diag/ack commands (firmware/diagnostics/supervisor.ts) */
  diagnostics: Supervisor | undefined;
  private buses: OpenBuses | undefined;
  /** diag's and the technician page's bus checks probe a sampled part only between its transactions */
  private readonly exclusiveAt: ExclusiveAt = (bus, address, fn) => {
    const entry = this.profile.devices.find((d) => d.enabled && d.bus === bus && devicePart(d.type)?.i2c?.address(d) === address);
    const running = entry && this.devices.find((d) => d.id === entry.id);
    return running ? running.exclusive(fn) : fn();
  };
  private broker: EmbeddedBroker | undefined;
  /** the technician page (site.http), when the profile turns it on */
  site: SiteServer | undefined;
  private bootCounter = 0;
  private bootIdentity: BootIdentity | undefined;
  private executor: CommandExecutor | undefined;
  private boxIdentity: BoxIdentity | undefined;
  private pendingFaultEvents: FaultEvent[] = [];
  private stopping: Promise<void> | undefined;
  private readonly log: Logger;
  /** the profile the box runs: the start profile with what reloads applied live */
  private running: Profile;

  constructor(private readonly options: RuntimeOptions) {
    const p = options.profile;
    this.running = p;
    this.log = options.log.child({ module: 'runtime' });
    this.scheduler = new Scheduler(options.timers);
    this.scheduler.onError = (name, e) => this.log.error({ task: name, err: e }, 'scheduled task threw');
    this.clock = new SystemClock({ assumeTrusted: p.clock.assumeTrusted, floorMs: FIRMWARE_DATE_MS });
    this.faults = new FaultRegistry(this.clock);
  }

  get boot(): number {
    return this.bootCounter;
  }

  /** random id of this start (docs/mqtt.md) */
  get bootId(): string | undefined {
    return this.bootIdentity?.bootId;
  }

  /** The box key (firmware/security/identity.ts); loaded or created at the start of start(). */
  get identity(): BoxIdentity {
    if (!this.boxIdentity) throw new Error('the box identity is loaded by start()');
    return this.boxIdentity;
  }

  async start(): Promise<void> {
    const p = this.options.profile;
    // every directory the box writes in, before anything else: a bad one is a clear StartupError
    // naming its profile key, never a stack trace or a spin in Node's recursive mkdir (/proc)
    ensureDir(p.storage.dir);
    // the state directory 0750 and its files 0640 at most (keys 0600), whatever left them wider
    const tightened = tightenStateDir(p.storage.dir, (path, e) => this.log.warn({ path, err: e }, 'cannot tighten the mode of a file in the data directory'));
    if (tightened.length > 0) this.log.info({ paths: tightened.slice(0, 20), count: tightened.length }, 'data directory modes tightened (directories 0750, files 0640)');
    p.buses.gpio.forEach((b, i) => {
      if (b.simulated && b.stateDir) ensureDir(b.stateDir, `buses.gpio[${i}].stateDir`);
    });
    const lastWall = readLastWall(p.storage.dir);
    if (lastWall !== undefined) this.clock.raiseFloor(lastWall);
    const bootIdentity = startBoot(p.storage.dir, (e) => this.log.error({ err: e }, 'cannot read or save the boot counter (disk full or read-only?); the boot id still names this start'));
    this.bootIdentity = bootIdentity;
    this.bootCounter = bootIdentity.boot;
    const identity = loadOrCreateIdentity(p.storage.dir, {
      onLoose: (file, mode) => this.log.warn({ file, mode: mode.toString(8) }, 'box key was readable by others; tightened to 0600'),
      onWriteError: (file, err) => this.log.error({ file, err }, 'cannot save the new box key (disk full or read-only?): this run uses a key that the next start will not have'),
    });
    this.boxIdentity = identity;
    this.log.info({ box: p.box.id, boot: this.bootCounter, bootId: bootIdentity.bootId, fw: FIRMWARE_VERSION, devices: p.devices.length, keyId: identity.keyId, newKey: identity.created }, 'starting');

    // Buses and drivers first, then every output to its safe state before anything else starts:
    // a relay left energised by a crash (kill -9, OOM) drops before the broker, uplink or any probe.
    // simulated serial parts stream on the scheduler's clock, like everything else on this thread
    const simTicker = (ms: number, fn: () => void): (() => void) => {
      const t = this.scheduler.every('serial-sim', ms, fn);
      return () => t.cancel();
    };
    const buses = await openBuses(p, this.clock, this.faults, this.options.log.child({ module: 'bus' }), simTicker);
    this.buses = buses;
    const toUplink = (s: Sample): void => {
      this.uplink?.submit(s);
      this.options.onSample?.(s);
    };
    const enabled = p.devices.filter((d) => d.enabled);
    const pipeline = new SignalPipeline(enabled.map(withPartDecimals), { scheduler: this.scheduler, clock: this.clock, emit: toUplink });
    this.pipeline = pipeline;
    // Sample order on the sampling thread: runner → checks → pipeline → uplink. The value checks
    // (range, stuck, rate, staleness) must see raw values, so they go before the pipeline, never
    // after it: a filter can never hide a broken sensor.
    const checks: RawInspector = (s) => this.diagnostics?.observe(s);
    const sink = sampleFlow(checks, pipeline.push);
    enabled.forEach((d) => {
      const def = devicePart(d.type);
      if (!def) throw new Error(`unknown device type ${d.type}`); // the schema has already refused it
      const log = this.options.log.child({ module: 'device' });
      let running: RunningDevice | undefined;
      const driver = def.create(d, {
        id: d.id,
        clock: this.clock,
        log,
        buses: buses.provider,
        emit: (values) => running?.emit(values),
      });
      running = new RunningDevice(
        driver,
        {
          id: d.id,
          type: d.type,
          intervalMs: d.interval,
          // devices that share an interval share its deadlines (one wake-up of the sampling
          // thread for all of them, their conversion waits overlapping) unless the profile
          // spreads them with `phase` (docs/performance.md)
          phaseMs: d.phase ?? 0,
          timeoutMs: d.timeout,
        },
        { scheduler: this.scheduler, clock: this.clock, faults: this.faults, sink, log, onInit: (id) => pipeline.restart(id) },
      );
      this.devices.push(running);
    });

    await applySafeStates(this.devices.map((d) => ({ id: d.id, driver: d.driver })), this.log, 'start');

    // password and TLS files are read now, bounded; a missing or bad one stops the start with
    // its profile path named (ProfileError), as any other profile problem does
    const files = p.uplink.embeddedBroker ? undefined : transportSecretsOrThrow(p);
    for (const w of files?.warnings ?? []) this.log.warn(w);
    let url = p.uplink.url;
    if (p.uplink.embeddedBroker) {
      const eb = p.uplink.embeddedBroker;
      this.broker = await startEmbeddedBroker(eb.host, eb.port);
      url = `mqtt://${eb.host}:${this.broker.port}`;
      this.log.info({ url }, 'embedded MQTT broker listening');
    }

    const uplink = new Uplink(
      uplinkOptions(p, {
        url,
        identity,
        boot: bootIdentity,
        ...(files ? { secrets: files.secrets } : {}),
        commands: this.gateConfig(p.commands, identity),
      }),
      this.scheduler,
      this.options.log.child({ module: 'uplink' }),
    );
    this.uplink = uplink;
    uplink.start();
    uplink.reportFaults(this.faults);
    uplink.watchClock(this.clock);
    watchBroker(uplink, this.scheduler, this.faults);
    this.faults.onEvent((e) => {
      this.pendingFaultEvents.push(e);
      // coalesce a burst of transitions into one snapshot on the next turn of the loop
      if (this.pendingFaultEvents.length === 1) this.scheduler.after(0, () => this.sendFaults());
    });

    const diagnostics = new Supervisor({
      profile: p,
      scheduler: this.scheduler,
      clock: this.clock,
      faults: this.faults,
      log: this.options.log,
      uplink,
      boot: this.bootCounter,
      firmware: FIRMWARE_VERSION,
      identity,
      devices: () => this.devices.map((d) => d.status()),
      drivers: () => this.devices,
      buses: () => this.buses,
      exclusive: this.exclusiveAt,
      brokerUrl: url,
      ...(files ? { brokerSecrets: files.secrets } : {}),
      ...(this.options.env ? { env: this.options.env } : {}),
    });
    this.diagnostics = diagnostics;
    const executor = new CommandExecutor({
      scheduler: this.scheduler,
      faults: this.faults,
      log: this.options.log.child({ module: 'commands' }),
      diagnose: () => diagnostics.diagnose(),
      devices: () => this.devices,
      maxHold: (id) => (p.devices.find((d) => d.id === id) as { maxOn?: number } | undefined)?.maxOn,
      restart: this.options.onRestart ?? this.options.requestStop ?? (() => process.kill(process.pid, 'SIGTERM')),
      startUpdate: (args) => startRemoteUpdate(p.storage.dir, args),
    });
    this.executor = executor;
    uplink.handleCommands((c) => executor.run(c));

    const world = buses.world;
    if (world) {
      const t0 = this.scheduler.now();
      this.scheduler.every('world', 1000, () => world.update((this.scheduler.now() - t0) / 1000));
    }
    pipeline.start();
    // the clock's floor for the next start (GPS week-rollover and plausibility checks)
    this.scheduler.every('last-wall-time', 600_000, () => this.saveWallTime(), { phaseMs: 60_000 });
    for (const d of this.devices) d.start();
    diagnostics.start();
    // an update on trial commits itself once healthy; the retained <base>/update record (docs/install.md)
    new TrialGate({
      stateDir: p.storage.dir,
      version: FIRMWARE_VERSION,
      boxId: p.box.id,
      scheduler: this.scheduler,
      log: this.log,
      onStats: (l) => uplink.onStats(l),
      publish: (payload) => uplink.publish('update', payload, true),
      watchdogWithholding: () => diagnostics.status().watchdog?.withholding,
      stop: this.options.requestStop ?? (() => process.kill(process.pid, 'SIGTERM')),
    }).start();
    if (p.site.http) await this.startSite(p.site.http);
  }

  /** The technician page (firmware/site/): a failure to listen is logged, never fatal to sampling. */
  private async startSite(http: NonNullable<Profile['site']['http']>): Promise<void> {
    const runtime = this;
    // loaded only for a profile that turns the page on
    const { startSite } = await import('./site/start.js');
    this.site = await startSite(
      {
        // the profile the box runs now: names and channels a reload applied show at once
        get profile(): Profile {
          return runtime.profile;
        },
        boot: this.bootCounter,
        firmware: FIRMWARE_VERSION,
        scheduler: this.scheduler,
        clock: this.clock,
        faults: this.faults,
        devices: () => this.devices,
        uplink: () => this.status().uplink,
        executor: () => this.executor,
        diagnostics: () => this.diagnostics,
        buses: () => this.buses,
        exclusive: this.exclusiveAt,
      },
      http,
      this.options.log,
    );
  }

  /** Simulated parts by device id (demo, tests, training: inject faults through their test face). */
  simulator(id: string): unknown {
    return this.buses?.simulators.get(id);
  }

  /** The profile the box runs now (the start profile plus what reloads applied live). */
  get profile(): Profile {
    return this.running;
  }

  /**
   * A new profile that passed the loader (SIGHUP): apply what can change live (device channels:
   * checks, calibration, filters, report; device interval, timeout, name); every other change
   * waits for a restart and raises PROFILE_RESTART_PENDING listing the keys. Never throws.
   */
  reload(next: Profile, file: string): ReloadPlan {
    const plan = planReload(this.running, next);
    for (const c of plan.live) {
      if (c.channels) {
        this.pipeline?.reconfigure(withPartDecimals(c.next));
        this.diagnostics?.reloadChecks(c.id, c.next.channels);
      }
      if (c.timing) this.devices.find((d) => d.id === c.id)?.retime(c.next.interval, c.next.timeout);
    }
    let running = plan.running;
    const restart = [...plan.restart];
    if (plan.commands && this.boxIdentity) {
      try {
        this.uplink?.reconfigureCommands(this.gateConfig(next.commands, this.boxIdentity));
        this.log.info({ keys: next.commands.trust.map((t) => t.name) }, 'trust list and command limits reloaded');
      } catch (e) {
        // a key file that cannot be read: keep the running trust list, say why
        running = { ...running, commands: this.running.commands };
        restart.push(`commands (not applied: ${(e as Error).message})`);
      }
    }
    this.running = running;
    if (plan.live.length > 0 || plan.commands) this.diagnostics?.profileReloaded(running);
    this.faults.clear('PROFILE_REJECTED', 'profile');
    if (restart.length > 0) {
      this.faults.raise({ code: 'PROFILE_RESTART_PENDING', subject: 'profile', message: `${file}: ${restart.length} change${restart.length === 1 ? '' : 's'} take effect at the next restart: ${restart.join(', ')}`, details: { file, keys: restart } });
    } else this.faults.clear('PROFILE_RESTART_PENDING', 'profile');
    return { ...plan, restart, running };
  }

  /** A reload whose profile the loader refused: the box keeps the profile it runs. */
  reloadRefused(file: string, problems: readonly string[]): void {
    this.faults.raise({ code: 'PROFILE_REJECTED', subject: 'profile', message: `${file}: reload refused, ${problems.length} problem${problems.length === 1 ? '' : 's'}; first: ${problems[0] ?? '?'}`, details: { file, problems: [...problems] } });
  }

  status(): RuntimeStatus {
    return {
      box: this.options.profile.box.id,
      boot: this.bootCounter,
      devices: this.devices.map((d) => d.status()),
      uplink: this.uplink?.stats() ?? { connected: false, received: 0, acked: 0, pending: 0, dropped: 0, messagesInFlight: 0, connects: 0, lastError: undefined },
    };
  }

  /** Stop sampling, flush, publish offline status, disconnect. Safe to call twice. */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    this.stopping = (async () => {
      this.log.info('stopping');
      await this.site?.stop();
      await Promise.all(this.devices.map((d) => d.stop()));
      this.pipeline?.stop(); // open report windows leave as partial aggregates
      this.saveWallTime();
      this.executor?.stop();
      await this.diagnostics?.stop();
      this.sendFaults();
      await this.uplink?.stop();
      await this.buses?.close();
      await this.broker?.stop();
      this.scheduler.stop();
      this.log.info('stopped');
    })();
    return this.stopping;
  }

  private gateConfig(c: Profile['commands'], identity: BoxIdentity): ReturnType<typeof commandGateConfig> {
    return commandGateConfig(this.options.profile, c, identity, this.clock.timeSource() !== 'none', this.log);
  }

  /** Keep the wall time for the next start's clock floor, only while the clock is trusted. */
  private saveWallTime(): void {
    if (this.clock.timeSource() === 'none') return;
    saveLastWall(this.options.profile.storage.dir, this.clock.wallMs(), (e) => this.log.warn({ err: e }, 'cannot save the last wall time'));
  }

  private sendFaults(): void {
    const events = this.pendingFaultEvents;
    this.pendingFaultEvents = [];
    this.uplink?.faults(this.faults.active(), events);
  }
}
