import type { PipelineChannelConfig, ReportConfig, Stat } from '../../config/pipeline.js';
import type { TimeSource } from '../../drivers/bus/clock.js';
import { roundTo } from '../../drivers/precision.js';
import type { Sample } from '../reading.js';
import { Chain } from './chain.js';

/**
 * Everything the pipeline keeps for one channel of one device: its chain, its report rule and
 * the state that rule needs. All fields are numbers, booleans or references set once, so
 * updating them per sample allocates nothing.
 */
export class ChannelState {
  readonly chain: Chain;
  unit = '';

  // report: delta
  /** a value has been sent since start */
  hasSent = false;
  /** last value sent, channel unit */
  lastSent = Number.NaN;
  /** the latest value out of the chain, not sent yet (a heartbeat sends it) */
  hasUnsent = false;
  latest = Number.NaN;
  latestMono = 0;
  latestWall = 0;
  latestTimeSource: TimeSource = 'none';
  latestKind: Sample['kind'] = 'sample';
  /** a heartbeat fell due with nothing new to send: send the next value whatever it is */
  overdue = false;
  cancelBeat: (() => void) | undefined;

  // report: period (aggregate over finite values since the window opened)
  n = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  /** published channel names for mean, min and max: "temperature", "temperature_min", "temperature_max" */
  readonly statNames: Readonly<Record<Stat, string>>;

  constructor(
    readonly name: string,
    config: PipelineChannelConfig,
    readonly report: ReportConfig,
    /** decimal places of what leaves (NaN: not rounded) */
    readonly decimals: number = Number.NaN,
  ) {
    this.chain = new Chain(config);
    this.statNames = { mean: name, min: `${name}_min`, max: `${name}_max` };
  }

  /**
   * Report-by-exception: has v moved far enough from the last value sent?
   * Absolute: |v − last| ≥ delta. Percent: |v − last| ≥ max(percent/100 · |last|, floor).
   * The first value always counts; NaN → number and number → NaN count as a change (once).
   */
  changed(v: number): boolean {
    if (!this.hasSent || this.overdue) return true;
    const last = this.lastSent;
    const vNaN = Number.isNaN(v);
    const lNaN = Number.isNaN(last);
    if (vNaN || lNaN) return vNaN !== lNaN;
    const r = this.report;
    if (r.mode !== 'delta') return true;
    const threshold = r.percent > 0 ? Math.max((r.percent / 100) * Math.abs(last), r.floor) : r.absolute;
    return Math.abs(v - last) >= threshold;
  }

  /** The value as it is published: rounded to the channel's decimals. */
  round(v: number): number {
    return Number.isNaN(this.decimals) ? v : roundTo(v, this.decimals);
  }

  /** Add a value to the open window (period reports). Non-finite values do not count. */
  accumulate(v: number): void {
    if (!Number.isFinite(v)) return;
    this.n++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  stat(s: Stat): number {
    return s === 'mean' ? this.sum / this.n : s === 'min' ? this.min : this.max;
  }

  openWindow(): void {
    this.n = 0;
    this.sum = 0;
    this.min = Number.POSITIVE_INFINITY;
    this.max = Number.NEGATIVE_INFINITY;
  }
}
