import type { FilterStep, PipelineChannelConfig } from '../../config/pipeline.js';
import { Calibration } from './calibration.js';
import { type Stage, TIME, VALUE } from './stage.js';
import { Debounce, FilterOut, SkipInitial, Throttle, ThrottleAverage } from './timed.js';
import { ExponentialAverage, SlidingAverage, WindowMax, WindowMedian, WindowMin } from './windows.js';

/** Build the stage for one filter of a profile. */
export function createFilter(f: FilterStep): Stage {
  switch (f.kind) {
    case 'median':
      return new WindowMedian(f.window, f.sendEvery);
    case 'min':
      return new WindowMin(f.window, f.sendEvery);
    case 'max':
      return new WindowMax(f.window, f.sendEvery);
    case 'sliding_average':
      return new SlidingAverage(f.window, f.sendEvery);
    case 'exponential_average':
      return new ExponentialAverage(f.alpha, f.sendEvery);
    case 'throttle':
      return new Throttle(f.ms);
    case 'throttle_average':
      return new ThrottleAverage(f.ms);
    case 'debounce':
      return new Debounce(f.ms);
    case 'skip_initial':
      return new SkipInitial(f.samples, f.ms);
    case 'filter_out':
      return new FilterOut(f.values);
  }
}

/**
 * The calibration and filters of one channel, in profile order: calibration first, then each
 * filter. push() runs a value through and says whether one came out; the value is then in
 * `value`. One preallocated io buffer serves every sample.
 */
export class Chain {
  private readonly io = new Float64Array(2);
  private readonly stages: readonly Stage[];

  constructor(config: Pick<PipelineChannelConfig, 'calibration' | 'filters'>) {
    const stages: Stage[] = [];
    if (config.calibration && config.calibration.length > 0) stages.push(new Calibration(config.calibration));
    for (const f of config.filters ?? []) stages.push(createFilter(f));
    this.stages = stages;
  }

  /** The value that came out of the last push() that returned true, channel unit. */
  get value(): number {
    return this.io[VALUE] as number;
  }

  /** Run one raw value (channel unit) taken at monoMs through the chain. */
  push(value: number, monoMs: number): boolean {
    const io = this.io;
    io[VALUE] = value;
    io[TIME] = monoMs;
    const stages = this.stages;
    for (let i = 0; i < stages.length; i++) if (!(stages[i] as Stage).step(io)) return false;
    return true;
  }

  reset(): void {
    for (const s of this.stages) s.reset();
  }
}
