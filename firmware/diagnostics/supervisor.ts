import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Profile } from '../../config/schema.js';
import type { TransportSecrets } from '../../config/secrets.js';
import type { Clock } from '../../drivers/bus/clock.js';
import type { OpenBuses } from '../buses.js';
import type { DeviceStatus } from '../device/running-device.js';
import { isOutputDriver } from '../../drivers/outputs.js';
import type { Driver } from '../../drivers/types.js';
import { Jobs, type JobStatus, type QuietHoursJob } from '../jobs/jobs.js';
import type { Scheduler } from '../loop/scheduler.js';
import type { Sample } from '../reading.js';
import type { BoxIdentity } from '../security/identity.js';
import type { Uplink } from '../uplink/uplink.js';
import { systemdNotifier, watchdogIntervalMs } from '../watchdog/notify.js';
import { type PreviousRun, RunRecord } from '../watchdog/run-record.js';
import { Watchdog, type WatchdogStats } from '../watchdog/watchdog.js';
import { type ChannelCheckSpec, ValueChecks } from './checks.js';
import { type DiagCheck, type DiagReport, type ExclusiveAt, profileHash, brokerCheck, transportChecks, busChecks, clockCheck, faultChecks, healthChecks, makeReport, runningDeviceChecks } from './diag.js';
import { type HealthReport, HealthMonitor } from './health.js';
import type { FaultRegistry } from './registry.js';

export interface SupervisorDeps {
  readonly profile: Profile;
  readonly scheduler: Scheduler;
  readonly clock: Clock;
  readonly faults: FaultRegistry;
  readonly log: Logger;
  readonly uplink: Uplink;
  readonly boot: number;
  readonly firmware: string;
  /** the box key: its public half goes in the commissioning record */
  readonly identity?: BoxIdentity;
  readonly devices: () => readonly DeviceStatus[];
  /** the drivers by device id (quiet hours switch output devices) */
  readonly drivers: () => readonly { readonly id: string; readonly driver: Driver }[];
  readonly buses: () => OpenBuses | undefined;
  /** probe and identify a sampled part only between its transactions */
  readonly exclusive?: ExclusiveAt;
  /** the broker URL the uplink really uses (the embedded broker's port is known only at start) */
  readonly brokerUrl: string;
  /** credentials and TLS files the uplink uses (the diag probe connects as the box does) */
  readonly brokerSecrets?: TransportSecrets;
  readonly env?: NodeJS.ProcessEnv;
}

export interface DiagnosticsStatus {
  readonly previousRun: PreviousRun | undefined;
  readonly watchdog: WatchdogStats | undefined;
  readonly jobs: readonly JobStatus[];
  readonly quietHours: boolean;
  readonly commissioned: boolean;
}

/**
 * Everything the box does to know its own health, composed once by the runtime:
 * value checks on raw samples, host health and its periodic report (<base>/health), jobs,
 * the systemd watchdog and run record, the diag report (also the `diag` command's answer,
 * firmware/commands/executor.ts) and the retained commissioning record (<base>/commissioning)
 * the first time the box passes its self-test with this profile.
 */
export class Supervisor {
  readonly checks: ValueChecks;
  readonly health: HealthMonitor;
  readonly jobs: Jobs;
  private watchdog: Watchdog | undefined;
  private readonly record: RunRecord;
  private previous: PreviousRun | undefined;
  private lastHealth: HealthReport | undefined;
  private commissioned = false;
  /** output values before quiet hours, to put back after: "<job>/<device>/<output>" → value */
  private readonly beforeQuiet = new Map<string, number | undefined>();
  private readonly log: Logger;

  constructor(private readonly deps: SupervisorDeps) {
    const p = deps.profile;
    this.running = p;
    this.log = deps.log.child({ module: 'diagnostics' });
    const specs: ChannelCheckSpec[] = [];
    for (const d of p.devices.filter((x) => x.enabled)) {
      for (const [channel, cfg] of Object.entries(d.channels)) if (cfg.checks) specs.push({ device: d.id, channel, checks: cfg.checks });
    }
    this.checks = new ValueChecks(specs, deps.faults, deps.scheduler.now());
    this.health = new HealthMonitor({ config: p.health, dataDir: p.storage.dir, faults: deps.faults, scheduler: deps.scheduler, clock: deps.clock, uplink: () => deps.uplink.stats(), sampling: p.devices.map((d) => d.id) });
    this.jobs = new Jobs(
      p.jobs,
      {
        selfTest: async () => {
          await this.selfTest();
        },
        healthReport: async () => {
          await this.reportHealth();
        },
        quietHours: (on, job) => void this.quietHours(on, job),
      },
      deps.faults,
      deps.scheduler,
      deps.clock,
      this.log,
    );
    this.record = new RunRecord(p.storage.dir);
  }

  private started = false;
  private staleTask = false;

  private armStaleChecks(): void {
    if (this.staleTask || !this.started || this.checks.size === 0) return;
    this.staleTask = true;
    this.deps.scheduler.every('checks-stale', 1000, () => this.checks.stale(this.deps.scheduler.now()));
  }

  /** A profile reload changed a device's channels: its value checks take the new limits. */
  reloadChecks(device: string, channels: Readonly<Record<string, { readonly checks?: ChannelCheckSpec['checks'] }>>): void {
    const specs: ChannelCheckSpec[] = [];
    for (const [channel, cfg] of Object.entries(channels)) if (cfg.checks) specs.push({ device, channel, checks: cfg.checks });
    this.checks.replaceDevice(device, specs, this.deps.scheduler.now());
    this.armStaleChecks();
  }

  /** The value-check stage: raw samples from the device runners, before any filter. */
  observe(sample: Sample): void {
    this.checks.observe(sample);
    this.watchdog?.submitted(1);
  }

  /**
   * Quiet hours: set each listed output for the night (backlight off), and put back what it was
   * when they end (its safe value if it was never set). An output that cannot be switched is
   * logged; its own device faults say why.
   */
  private async quietHours(on: boolean, job: QuietHoursJob): Promise<void> {
    for (const o of job.outputs) {
      const driver = this.deps.drivers().find((d) => d.id === o.device)?.driver;
      const control = driver && isOutputDriver(driver) ? driver.outputs().find((c) => o.output === undefined || c.name === o.output) : undefined;
      if (!control) {
        this.log.error({ job: job.name, device: o.device, output: o.output }, `quiet hours: ${o.device}${o.output ? `/${o.output}` : ''} is not an output`);
        continue;
      }
      const key = `${job.name}/${o.device}/${control.name}`;
      try {
        if (on) {
          this.beforeQuiet.set(key, control.get());
          await control.set(o.value, `quiet hours (${job.name})`);
        } else {
          await control.set(this.beforeQuiet.get(key) ?? control.safe, `quiet hours over (${job.name})`);
          this.beforeQuiet.delete(key);
        }
      } catch (e) {
        // not ready yet (a board still in its handshake at start) or unplugged: try again soon
        this.log.warn({ job: job.name, device: o.device, err: e }, 'quiet hours: output not switched; retrying in 10 s');
        if (on && !this.deps.scheduler.allStats().some((t) => t.name === `quiet-retry:${job.name}`)) {
          const retry = this.deps.scheduler.every(`quiet-retry:${job.name}`, 10_000, async () => {
            retry.cancel();
            if (this.isQuiet(job)) await this.quietHours(true, job);
          }, { phaseMs: 10_000 });
        }
      }
    }
  }

  private isQuiet(job: QuietHoursJob): boolean {
    return this.jobs.quietJobs().includes(job.name);
  }

  /** Report how the previous run ended; start checks, health, jobs, commands. Call after the devices started. */
  start(): void {
    const { deps } = this;
    const prev = this.record.begin(deps.boot, deps.clock.wallMs());
    this.previous = prev;
    this.log.info({ previousRun: prev }, `previous run ended: ${prev.end}${prev.detail ? ` (${prev.detail})` : ''}`);
    if (this.record.writeError) this.log.warn({ error: this.record.writeError }, 'cannot write the run record in the data directory; the next start will not know how this run ended');
    if (prev.end === 'crash' || prev.end === 'watchdog') {
      deps.faults.raise({ code: 'WATCHDOG_RESTART', subject: 'runtime', message: `previous run (boot ${prev.boot ?? '?'}) ended by ${prev.end === 'watchdog' ? 'the watchdog' : 'a crash'}${prev.detail ? `: ${prev.detail}` : ''}`, details: { ...prev } });
      // latched: the condition is over as soon as we run; it stays until acknowledged
      deps.faults.clear('WATCHDOG_RESTART', 'runtime');
    }
    this.commissioned = existsSync(this.commissioningFile());

    this.health.start();
    deps.scheduler.every('health', deps.profile.health.interval, async () => void (await this.reportHealth()), { phaseMs: Math.min(5000, deps.profile.health.interval) });
    this.started = true;
    this.armStaleChecks();
    this.jobs.start();
    if (!this.commissioned && !deps.profile.jobs.some((j) => j.action === 'self-test')) {
      // no self-test job: still try to commission, 30 s after start (devices probed, broker up)
      // and every 5 minutes until the box passes once with this profile
      const t = deps.scheduler.every('commissioning', 300_000, async () => {
        await this.selfTest();
        if (this.commissioned) t.cancel();
      }, { phaseMs: 30_000 });
    }

    const env = deps.env ?? process.env;
    const notifier = systemdNotifier(env);
    const interval = watchdogIntervalMs(env);
    if (notifier) {
      const wd = new Watchdog({ intervalMs: interval ?? 60_000, storageStallMs: Math.max(interval ?? 60_000, 10_000) }, deps.scheduler, notifier, this.record, this.log);
      // storage progress: samples the outbox committed to disk; while it runs from its memory
      // ring (disk full or read-only: a restart would not help) or without an outbox, samples
      // the uplink worker accepted. Neither stops when only the broker is away.
      let progress = 0;
      let lastCommitted = 0;
      let lastReceived = 0;
      deps.uplink.onStats((s) => {
        const committed = s.outbox?.committed;
        if (s.outbox?.mode === 'disk' && committed !== undefined) progress += Math.max(0, committed - lastCommitted);
        else progress += Math.max(0, s.received - lastReceived);
        lastCommitted = committed ?? lastCommitted;
        lastReceived = s.received;
        this.outboxCommitted(progress);
      });
      const devices = deps.profile.devices.filter((d) => d.enabled).length;
      if (interval) this.watchdog = wd;
      // READY once the loop has turned: the first tick of the scheduler after start
      deps.scheduler.after(0, () => void wd.ready(`sampling ${devices} device${devices === 1 ? '' : 's'}, boot ${deps.boot}`, interval !== undefined));
      this.notifyStopping = () => wd.stopping();
    }
  }

  private notifyStopping: () => Promise<void> = async () => {};

  /** The outbox's hook for the watchdog: the running total of samples it has committed to storage. */
  outboxCommitted(total: number): void {
    this.watchdog?.committed(total);
  }

  /** A clean stop: tell systemd, stop jobs and health, record "stopped". */
  async stop(): Promise<void> {
    await this.notifyStopping();
    this.jobs.stop();
    this.health.stop();
    this.record.end(this.deps.clock.wallMs());
  }

  status(): DiagnosticsStatus {
    return { previousRun: this.previous, watchdog: this.watchdog?.stats(), jobs: this.jobs.status(), quietHours: this.jobs.quietHours, commissioned: this.commissioned };
  }

  /** The last host health report (the technician page's overview), undefined before the first check. */
  latestHealth(): HealthReport | undefined {
    return this.lastHealth;
  }

  /** Check host health now and publish the report on <base>/health. */
  async reportHealth(): Promise<HealthReport> {
    const h = await this.health.check();
    this.lastHealth = h;
    const { deps } = this;
    deps.uplink.publish('health', JSON.stringify({ v: 1, box: deps.profile.box.id, boot: deps.boot, ...h, diagnostics: this.status() }), true);
    return h;
  }

  /**
   * A profile reload applied live parts of a new profile: diag, its profile hash and the
   * commissioning record follow the profile the box now runs (a changed profile is commissioned
   * again at its first passing self-test).
   */
  profileReloaded(running: Profile): void {
    this.running = running;
    this.commissioned = existsSync(this.commissioningFile());
  }

  /** The profile diag reports on: the start profile plus what reloads applied. */
  private running: Profile;

  /** The diag report of a running box (what `edgefw diag` shows, from the live runtime). */
  async diagnose(): Promise<DiagReport> {
    const { deps } = this;
    const p = this.running;
    const checks: DiagCheck[] = [];
    checks.push(...runningDeviceChecks(p, deps.devices()));
    const buses = deps.buses();
    if (buses) checks.push(...(await busChecks(p, buses, false, deps.exclusive)));
    // in the uplink worker, where mqtt.js already is: the same broker, login and TLS files
    const probe = await deps.uplink.probeBroker(`${p.uplink.topicPrefix}/${p.box.id}`, 3000);
    checks.push(brokerCheck(deps.brokerUrl, probe));
    checks.push(...transportChecks(p, deps.brokerSecrets));
    checks.push(clockCheck(deps.clock));
    const h = this.lastHealth ?? (await this.health.check());
    checks.push(...healthChecks(h, p.health));
    checks.push(...faultChecks(deps.faults.active().filter((f) => f.code !== 'SELF_TEST_FAILED')));
    return makeReport('service', p, deps.firmware, deps.clock.wallMs(), checks);
  }

  /**
   * The periodic self-test: diag on the running box. SELF_TEST_FAILED while it fails; the first
   * pass with this profile publishes the retained commissioning record on <base>/commissioning.
   */
  async selfTest(): Promise<DiagReport> {
    const r = await this.diagnose();
    const { deps } = this;
    const failed = r.checks.filter((c) => c.verdict === 'FAIL');
    if (failed.length > 0) deps.faults.raise({ code: 'SELF_TEST_FAILED', subject: 'self-test', message: `self-test failed: ${failed.map((c) => c.name).join(', ')}`, details: { failed: failed.map((c) => `${c.name}: ${c.detail}`) } });
    else {
      deps.faults.clear('SELF_TEST_FAILED', 'self-test');
      // commissioning wants every device and bus line clean, not a device still starting
      const settled = !r.checks.some((c) => (c.section === 'device' || c.section === 'bus') && c.verdict !== 'PASS');
      if (!this.commissioned && settled) this.commission(r);
    }
    return r;
  }

  private commission(r: DiagReport): void {
    const id = this.deps.identity;
    const record = JSON.stringify({ ...r, boot: this.deps.boot, commissionedAt: r.t, ...(id ? { key: id.publicKey, keyId: id.keyId } : {}) });
    this.deps.uplink.publish('commissioning', record, true);
    try {
      writeFileSync(this.commissioningFile(), `${record}\n`, { mode: 0o640 });
    } catch (e) {
      // published all the same; a read-only disk means it is published again after a restart
      this.log.warn({ err: e }, 'could not note the commissioning in the data directory');
    }
    this.commissioned = true;
    this.log.info({ profileHash: r.profileHash }, 'commissioned: first self-test pass with this profile');
  }

  private commissioningFile(): string {
    return join(this.running.storage.dir, `commissioned-${profileHash(this.running)}.json`);
  }
}
