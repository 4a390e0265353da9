import type { PipelineChannelConfig } from '../../config/pipeline.js';
import { publishedDecimals } from '../../config/decimals.js';
import type { Clock } from '../../drivers/bus/clock.js';
import { roundTo } from '../../drivers/precision.js';
import type { PeriodicTask, Scheduler } from '../loop/scheduler.js';
import type { Sample, SampleSink, SampleValue } from '../reading.js';
import { ChannelState } from './channel.js';

/** What the pipeline needs to know about one device of the profile. */
export interface PipelineDevice {
  readonly id: string;
  readonly channels: Readonly<Record<string, PipelineChannelConfig>>;
  /** decimal places each channel's part resolves (ChannelSpec.decimals); absent: no rounding */
  readonly decimals?: Readonly<Record<string, number>>;
}

export interface PipelineDeps {
  /** the only source of time for heartbeats and report periods */
  readonly scheduler: Scheduler;
  /** wall time and its quality, for aggregates' windows */
  readonly clock: Clock;
  /** where reported samples go (the uplink) */
  readonly emit: SampleSink;
}

/**
 * The signal pipeline: per channel calibration → filters → report, on the sampling thread,
 * after the fault checks (which must see raw values) and before the uplink.
 *
 * - A channel without a rule in the profile passes its raw value through, rounded.
 * - Every value that leaves is rounded to its channel's decimals (the profile's `decimals`, a
 *   calibration's final `round`, else the part's resolution), here and nowhere else: after the
 *   filters and the aggregates, so a mean never carries binary noise.
 * - Values of one sample that come out of their chains at the same time leave as one sample
 *   with the input's timestamps and kind.
 * - Heartbeats and report periods are scheduler tasks; filters never own a timer.
 *
 * Steady state allocates nothing per sample that is held back; a sample that leaves the box is
 * a new object (the uplink keeps it).
 */
export class SignalPipeline {
  private readonly devices = new Map<string, DevicePipeline>();

  constructor(devices: readonly PipelineDevice[], deps: PipelineDeps) {
    for (const d of devices) {
      const p = DevicePipeline.create(d, deps);
      if (p) this.devices.set(d.id, p);
    }
    this.emit = deps.emit;
    this.deps = deps;
  }

  private readonly deps: PipelineDeps;

  private readonly emit: SampleSink;

  /** The sink the fault checks hand raw samples to. */
  readonly push = (s: Sample): void => {
    const d = this.devices.get(s.device);
    if (d) d.push(s);
    else this.emit(s);
  };

  /**
   * The device's part was (re)initialised (first probe, or back after a failure): its filters
   * forget their windows and warm-up, so a particulate sensor whose fan restarted is skipped
   * again. What was last sent and open report windows are kept.
   */
  restart(device: string): void {
    this.devices.get(device)?.restart();
  }

  /** Start report-period tasks (windows are aligned to wall-clock multiples of the period). */
  start(): void {
    for (const d of this.devices.values()) d.start();
  }

  /**
   * A profile reload changed this device's channels (SIGHUP): its chains are rebuilt from the new
   * rules. Open report windows of the old chains leave first as partial aggregates (as at stop),
   * filters start empty, report-on-change sends the next value. Call after start().
   */
  reconfigure(device: PipelineDevice): void {
    this.devices.get(device.id)?.stop();
    this.devices.delete(device.id);
    const p = DevicePipeline.create(device, this.deps);
    if (!p) return;
    this.devices.set(device.id, p);
    p.start();
  }

  /** Cancel heartbeats and periods; publish the open windows as partial aggregates. */
  stop(): void {
    for (const d of this.devices.values()) d.stop();
  }
}

class DevicePipeline {
  private readonly byName = new Map<string, ChannelState>();
  /** decimals of channels without rules (those with rules keep theirs in their ChannelState) */
  private readonly plainDecimals = new Map<string, number>();
  private readonly groups = new Map<number, ChannelState[]>();
  private readonly tasks: PeriodicTask[] = [];
  private readonly windowStart = new Map<number, number>();
  // per-sample scratch: which input values leave, and with what value (grown once, then reused)
  private outIndex = new Int32Array(8);
  private outValue = new Float64Array(8);
  private outState: (ChannelState | undefined)[] = new Array<ChannelState | undefined>(8).fill(undefined);

  private constructor(
    private readonly id: string,
    private readonly deps: PipelineDeps,
  ) {}

  static create(d: PipelineDevice, deps: PipelineDeps): DevicePipeline | undefined {
    const p = new DevicePipeline(d.id, deps);
    for (const [name, part] of Object.entries(d.decimals ?? {})) p.plainDecimals.set(name, publishedDecimals(d.channels[name], part));
    for (const [name, cfg] of Object.entries(d.channels)) {
      if (cfg.decimals !== undefined) p.plainDecimals.set(name, cfg.decimals);
      const hasRule = (cfg.calibration?.length ?? 0) > 0 || (cfg.filters?.length ?? 0) > 0 || cfg.report !== undefined;
      if (!hasRule) continue;
      const st = new ChannelState(name, cfg, cfg.report ?? { mode: 'every' }, p.plainDecimals.get(name) ?? publishedDecimals(cfg, Number.NaN));
      p.byName.set(name, st);
      if (st.report.mode === 'period') {
        const g = p.groups.get(st.report.periodMs) ?? [];
        g.push(st);
        p.groups.set(st.report.periodMs, g);
      }
    }
    return p.byName.size > 0 || p.plainDecimals.size > 0 ? p : undefined;
  }

  start(): void {
    const { scheduler, clock } = this.deps;
    for (const [periodMs, group] of this.groups) {
      this.windowStart.set(periodMs, clock.wallMs());
      // first tick at the next wall-clock multiple of the period (an hourly mean ends at :00)
      const phaseMs = periodMs - (clock.wallMs() % periodMs);
      this.tasks.push(scheduler.every(`report ${this.id} ${periodMs} ms`, periodMs, () => this.closeWindow(periodMs, group), { phaseMs }));
    }
  }

  stop(): void {
    for (const t of this.tasks) t.cancel();
    this.tasks.length = 0;
    for (const st of this.byName.values()) {
      st.cancelBeat?.();
      st.cancelBeat = undefined;
    }
    for (const [periodMs, group] of this.groups) this.closeWindow(periodMs, group);
  }

  restart(): void {
    for (const st of this.byName.values()) st.chain.reset();
  }

  push(s: Sample): void {
    const values = s.values;
    if (values.length > this.outIndex.length) this.grow(values.length);
    let count = 0;
    for (let i = 0; i < values.length; i++) {
      const x = values[i] as SampleValue;
      const st = this.byName.get(x.channel);
      if (st === undefined) {
        this.outIndex[count] = i;
        this.outValue[count] = this.round(x.channel, x.value);
        this.outState[count] = undefined;
        count++;
        continue;
      }
      st.unit = x.unit;
      if (!st.chain.push(x.value, s.monoMs)) continue;
      const v = st.chain.value;
      const r = st.report;
      if (r.mode === 'period') {
        st.accumulate(v);
        continue;
      }
      if (r.mode === 'delta') {
        st.latest = v;
        st.latestMono = s.monoMs;
        st.latestWall = s.wallMs;
        st.latestTimeSource = s.timeSource;
        st.latestKind = s.kind;
        if (!st.changed(v)) {
          st.hasUnsent = true;
          continue;
        }
        this.sent(st, v);
      }
      this.outIndex[count] = i;
      this.outValue[count] = st.round(v);
      this.outState[count] = st;
      count++;
    }
    if (count === 0) return;
    const out: SampleValue[] = new Array<SampleValue>(count);
    for (let k = 0; k < count; k++) {
      const x = values[this.outIndex[k] as number] as SampleValue;
      const v = this.outValue[k] as number;
      out[k] = Object.is(v, x.value) ? x : { channel: x.channel, value: v, unit: x.unit };
      this.outState[k] = undefined;
    }
    this.deps.emit({ device: s.device, kind: s.kind, monoMs: s.monoMs, wallMs: s.wallMs, timeSource: s.timeSource, values: out });
  }

  /** Record a delta-reported value as sent and (re)arm its heartbeat. */
  private sent(st: ChannelState, v: number): void {
    st.hasSent = true;
    st.lastSent = v;
    st.hasUnsent = false;
    st.overdue = false;
    const r = st.report;
    if (r.mode !== 'delta' || r.heartbeatMs <= 0) return;
    st.cancelBeat?.();
    st.cancelBeat = this.deps.scheduler.after(r.heartbeatMs, () => this.heartbeat(st));
  }

  /**
   * A heartbeat fell due: nothing was sent for a whole heartbeat period. Send the latest value
   * out of the chain, with the time it was read. If the chain produced nothing since the last
   * send (device silent or failed: the fault registry speaks for it), send nothing now and
   * send the next value that comes, whatever its change.
   */
  private heartbeat(st: ChannelState): void {
    st.cancelBeat = undefined;
    if (!st.hasUnsent) {
      st.overdue = true;
      return;
    }
    const v = st.latest;
    this.sent(st, v);
    this.deps.emit({
      device: this.id,
      kind: st.latestKind,
      monoMs: st.latestMono,
      wallMs: st.latestWall,
      timeSource: st.latestTimeSource,
      values: [{ channel: st.name, value: st.round(v), unit: st.unit }],
    });
  }

  /**
   * End of a report period: one aggregate per set of channels with the same count, carrying
   * the window (wall ms at open and close, and how many values it holds). A window with no
   * values sends nothing.
   */
  private closeWindow(periodMs: number, group: readonly ChannelState[]): void {
    const { scheduler, clock } = this.deps;
    const endMs = clock.wallMs();
    const startMs = this.windowStart.get(periodMs) ?? endMs;
    this.windowStart.set(periodMs, endMs);
    const done = new Set<ChannelState>();
    for (const first of group) {
      if (first.n === 0 || done.has(first)) continue;
      const values: SampleValue[] = [];
      for (const st of group) {
        if (st.n !== first.n || done.has(st)) continue;
        done.add(st);
        if (st.report.mode !== 'period') continue;
        for (const stat of st.report.stats) values.push({ channel: st.statNames[stat], value: st.round(st.stat(stat)), unit: st.unit });
      }
      this.deps.emit({
        device: this.id,
        kind: 'aggregate',
        monoMs: scheduler.now(),
        wallMs: endMs,
        timeSource: clock.timeSource(),
        values,
        window: { startMs, endMs, count: first.n },
      });
    }
    for (const st of group) st.openWindow();
  }

  private round(channel: string, v: number): number {
    const d = this.plainDecimals.get(channel);
    return d === undefined ? v : roundTo(v, d);
  }

  private grow(n: number): void {
    this.outIndex = new Int32Array(n);
    this.outValue = new Float64Array(n);
    this.outState = new Array<ChannelState | undefined>(n).fill(undefined);
  }
}
