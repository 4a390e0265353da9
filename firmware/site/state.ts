import type { Profile } from '../../config/schema.js';
import type { Clock } from '../../drivers/bus/clock.js';
import type { OpenBuses } from '../buses.js';
import type { ExclusiveAt } from '../diagnostics/diag.js';
import type { DeviceStatus } from '../device/running-device.js';
import type { HealthReport } from '../diagnostics/health.js';
import type { ActiveFault, FaultRegistry } from '../diagnostics/registry.js';
import type { Supervisor } from '../diagnostics/supervisor.js';
import type { Scheduler } from '../loop/scheduler.js';
import type { UplinkStats } from '../uplink/protocol.js';
import { roundTo } from '../../drivers/precision.js';
import { devicePart } from '../../drivers/parts.js';
import { scrubUrls } from '../support/redact.js';
import { type WiringHint, wiringHint } from './wiring.js';

/** What the technician page needs from the running box (the runtime implements it). */
export interface SiteSource {
  readonly profile: Profile;
  readonly boot: number;
  readonly firmware: string;
  readonly scheduler: Scheduler;
  readonly clock: Clock;
  readonly faults: FaultRegistry;
  devices(): readonly DeviceStatus[];
  /** re-initialise one device now; false when there is no such device */
  reprobe(id: string): boolean;
  uplink(): UplinkStats;
  /** switchable outputs by device (relays, backlights), with their current and safe values */
  outputs(): readonly OutputView[];
  /**
   * Run a command of the signed-command registry (firmware/commands/) for a technician whose
   * session allows it (site.http.allow); the signer is "site:<name>".
   */
  command(name: 'ack' | 'output', args: Record<string, unknown>, signer: string): Promise<{ readonly ok: true; readonly result: Record<string, unknown> } | { readonly ok: false; readonly reason: string; readonly error: string }>;
  diagnostics(): Supervisor | undefined;
  buses(): OpenBuses | undefined;
  /** probe and identify a sampled part only between its transactions */
  readonly exclusive?: ExclusiveAt;
}

/** Sparkline span and resolution: the last 5 minutes, at most 60 points per channel. */
const HISTORY_MS = 5 * 60_000;
const HISTORY_POINTS = 60;
const RECENT_FAULTS = 30;

interface Point {
  readonly mono: number;
  readonly value: number;
}

export interface FaultView {
  readonly code: string;
  readonly subject: string | undefined;
  readonly severity: string;
  readonly message: string;
  readonly sinceMs: number;
  readonly lastSeenMs: number;
  readonly count: number;
  readonly acknowledged: boolean;
  readonly clearedMs?: number;
}

export interface OutputView {
  readonly device: string;
  readonly name: string;
  readonly pwm: boolean;
  readonly value: number | undefined;
  readonly safe: number;
}

export interface DeviceView {
  readonly id: string;
  readonly name: string | undefined;
  readonly type: string;
  readonly state: string;
  readonly wiring: WiringHint;
  readonly values: readonly { readonly channel: string; readonly value: number; readonly unit: string; readonly decimals: number; readonly ageS: number | undefined; readonly history: readonly number[] }[];
  readonly lastError: { readonly code: string; readonly message: string } | undefined;
  readonly nextProbeInS: number | undefined;
  readonly outputs: readonly { readonly name: string; readonly pwm: boolean; readonly value: number | undefined; readonly safe: number }[];
}

/** The page's whole state, the same for every client and language (texts are looked up by code in the browser). */
export interface SiteSnapshot {
  readonly v: 1;
  readonly t: number;
  readonly box: string;
  readonly site: string | undefined;
  readonly description: string | undefined;
  readonly firmware: string;
  readonly boot: number;
  readonly uptimeS: number;
  readonly clock: { readonly trusted: boolean; readonly source: string; readonly wallMs: number };
  readonly broker: { readonly connected: boolean; readonly lastError: string | undefined };
  readonly outbox: { readonly waiting: number; readonly dropped: number };
  readonly host: {
    readonly cpuC: number | undefined;
    readonly throttledNow: boolean | undefined;
    readonly throttledSinceBoot: boolean | undefined;
    readonly diskFreeMb: number | undefined;
    readonly diskFreePercent: number | undefined;
    readonly memAvailableMb: number | undefined;
    readonly rssMb: number | undefined;
  };
  readonly commissioned: boolean;
  readonly devices: readonly DeviceView[];
  readonly faults: { readonly active: readonly FaultView[]; readonly recent: readonly FaultView[] };
}


function faultView(f: ActiveFault, clearedMs?: number): FaultView {
  return {
    code: f.code, subject: f.subject, severity: f.severity, message: scrubUrls(f.message).slice(0, 500),
    sinceMs: f.firstSeenMs, lastSeenMs: f.lastSeenMs, count: f.count, acknowledged: f.acknowledged,
    ...(clearedMs !== undefined ? { clearedMs } : {}),
  };
}

/**
 * Keeps what the page shows beyond the runtime's own state: a short value history per channel
 * (for the sparklines, sampled from the device runners' last values on the scheduler's clock)
 * and the recently cleared faults. Builds the snapshot the server sends; the caller caches it.
 */
export class SiteState {
  private readonly history = new Map<string, Point[]>();
  private readonly lastSeen = new Map<string, number>();
  private readonly recent: FaultView[] = [];
  private readonly startMono: number;
  private cancel: (() => void) | undefined;

  constructor(private readonly src: SiteSource) {
    this.startMono = src.scheduler.now();
  }

  start(): void {
    let stopped = false;
    this.src.faults.onEvent((e) => {
      if (stopped || e.transition !== 'cleared') return;
      this.recent.unshift(faultView(e.fault, e.atMs));
      this.recent.length = Math.min(this.recent.length, RECENT_FAULTS);
    });
    const task = this.src.scheduler.every('site-history', 1000, () => this.record());
    this.cancel = () => {
      task.cancel();
      stopped = true;
    };
  }

  stop(): void {
    this.cancel?.();
  }

  /** Note each device's newest values once (the runners keep only the last). */
  private record(): void {
    const now = this.src.scheduler.now();
    for (const d of this.src.devices()) {
      if (d.lastSampleMono === undefined || this.lastSeen.get(d.id) === d.lastSampleMono) continue;
      this.lastSeen.set(d.id, d.lastSampleMono);
      for (const v of d.lastValues) {
        if (!Number.isFinite(v.value)) continue;
        const key = `${d.id}\u0000${v.channel}`;
        let h = this.history.get(key);
        if (!h) this.history.set(key, (h = []));
        h.push({ mono: d.lastSampleMono, value: v.value });
        while (h.length > 0 && (h[0] as Point).mono < now - HISTORY_MS) h.shift();
        if (h.length > 4 * HISTORY_POINTS) h.splice(0, h.length - 4 * HISTORY_POINTS);
      }
    }
  }

  /** channel → unit and decimals, from the driver's channel list and the profile's `decimals` overrides */
  private units(id: string, type: string): ReadonlyMap<string, { readonly unit: string; readonly decimals: number }> {
    const cfg = this.src.profile.devices.find((d) => d.id === id);
    const specs = cfg ? (devicePart(type)?.channels(cfg as never) ?? []) : [];
    return new Map(specs.map((c) => [c.name, { unit: c.unit, decimals: cfg?.channels[c.name]?.decimals ?? c.decimals }]));
  }

  private spark(device: string, channel: string, decimals: number): number[] {
    const h = this.history.get(`${device}\u0000${channel}`) ?? [];
    if (h.length <= HISTORY_POINTS) return h.map((p) => roundTo(p.value, decimals));
    const step = h.length / HISTORY_POINTS;
    const out: number[] = [];
    for (let i = 0; i < HISTORY_POINTS; i++) out.push(roundTo((h[Math.floor(i * step)] as Point).value, decimals));
    return out;
  }

  snapshot(health: HealthReport | undefined): SiteSnapshot {
    const { src } = this;
    const p = src.profile;
    const now = src.scheduler.now();
    const up = src.uplink();
    const byId = new Map(p.devices.map((d) => [d.id, d]));
    const devices: DeviceView[] = src.devices().map((d) => {
      const cfg = byId.get(d.id);
      const units = this.units(d.id, d.type);
      const age = d.lastSampleMono === undefined ? undefined : Math.max(0, Math.round((now - d.lastSampleMono) / 100) / 10);
      return {
        id: d.id,
        name: cfg?.name,
        type: d.type,
        state: d.state,
        wiring: cfg ? wiringHint(cfg) : { part: d.type, where: '', wires: '' },
        values: d.lastValues.map((v) => {
          const u = units.get(v.channel) ?? { unit: '', decimals: 3 };
          return { channel: v.channel, value: roundTo(v.value, u.decimals), unit: u.unit, decimals: u.decimals, ageS: age, history: this.spark(d.id, v.channel, u.decimals) };
        }),
        lastError: d.state === 'ok' ? undefined : d.lastError,
        nextProbeInS: d.nextProbeInMs === undefined ? undefined : Math.round(d.nextProbeInMs / 1000),
        outputs: [],
      };
    });
    const outputs = src.outputs();
    const diag = src.diagnostics();
    return {
      v: 1,
      t: src.clock.wallMs(),
      box: p.box.id,
      site: p.box.site,
      description: p.box.description,
      firmware: src.firmware,
      boot: src.boot,
      uptimeS: Math.round((now - this.startMono) / 1000),
      clock: { trusted: src.clock.timeSource() !== 'none', source: src.clock.timeSource(), wallMs: src.clock.wallMs() },
      broker: { connected: up.connected, lastError: up.lastError === undefined ? undefined : scrubUrls(up.lastError).slice(0, 200) },
      outbox: { waiting: up.pending, dropped: up.dropped },
      host: {
        cpuC: health?.cpu?.celsius,
        throttledNow: health?.throttled ? health.throttled.throttledNow || health.throttled.undervoltageNow || health.throttled.freqCappedNow : undefined,
        throttledSinceBoot: health?.throttled ? health.throttled.throttledSinceBoot || health.throttled.undervoltageSinceBoot : undefined,
        diskFreeMb: health?.disk?.freeMb,
        diskFreePercent: health?.disk?.freePercent,
        memAvailableMb: health?.memory?.availableMb,
        rssMb: health?.rssMb,
      },
      commissioned: diag?.status().commissioned ?? false,
      devices: devices.map((d) => ({ ...d, outputs: outputs.filter((o) => o.device === d.id).map(({ name, pwm, value, safe }) => ({ name, pwm, value, safe })) })),
      faults: { active: src.faults.active().map((f) => faultView(f)), recent: [...this.recent] },
    };
  }
}
