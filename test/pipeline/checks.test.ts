import { describe, expect, it } from 'vitest';
import { ValueChecks } from '../../firmware/diagnostics/checks.js';
import { type FaultEvent, FaultRegistry } from '../../firmware/diagnostics/registry.js';
import { Scheduler } from '../../firmware/loop/scheduler.js';
import { FakeTimers } from '../../firmware/loop/timers.js';
import { sampleFlow } from '../../firmware/pipeline/flow.js';
import { SignalPipeline } from '../../firmware/pipeline/pipeline.js';
import type { Sample } from '../../firmware/reading.js';
import { WALL0, fakeClock } from './helpers.js';

describe('raw values trip the fault checks while the reported value is smoothed', () => {
  it('a two-sample spike to 95 °C raises VALUE_OUT_OF_RANGE; the median of 5 that is published never leaves 21.0…21.2 °C', () => {
    const timers = new FakeTimers();
    const clock = fakeClock(timers);
    const faults = new FaultRegistry(clock);
    const events: FaultEvent[] = [];
    faults.onEvent((e) => events.push(e));
    // the same composition as the runtime: runner → checks (raw) → pipeline → uplink
    const checks = new ValueChecks([{ device: 'env', channel: 'temperature', checks: { range: { min: -30, max: 60 } } }], faults, 0);
    const published: Sample[] = [];
    const pipeline = new SignalPipeline([{ id: 'env', channels: { temperature: { filters: [{ kind: 'median', window: 5, sendEvery: 1 }] } } }], {
      scheduler: new Scheduler(timers),
      clock,
      emit: (s) => published.push(s),
    });
    const sink = sampleFlow((s) => checks.observe(s), pipeline.push);

    const raw = [21.0, 21.1, 21.2, 21.1, 21.0, 95, 96, 21.1, 21.2, 21.0];
    raw.forEach((value, i) => sink({ device: 'env', kind: 'sample', monoMs: i * 1000, wallMs: WALL0 + i * 1000, timeSource: 'assumed', values: [{ channel: 'temperature', value, unit: '°C' }] }));

    // VALUE_OUT_OF_RANGE raises after two bad samples in a row (catalogue raiseAfter: 2)
    expect(events.filter((e) => e.transition === 'raised').map((e) => [e.fault.code, e.fault.subject])).toEqual([['VALUE_OUT_OF_RANGE', 'env/temperature']]);
    // medians of the last 5 by hand: the spike never shows
    const out = published.map((s) => s.values[0]?.value as number);
    const expected = [21.0, 21.05, 21.1, 21.1, 21.1, 21.1, 21.2, 21.1, 21.2, 21.2];
    expect(out).toHaveLength(expected.length);
    out.forEach((v, i) => expect(v).toBeCloseTo(expected[i] as number, 9));
  });

  it('the checks never see a calibrated or smoothed value: the sample they get is the runner\'s own object', () => {
    const timers = new FakeTimers();
    const seen: Sample[] = [];
    const pipeline = new SignalPipeline([{ id: 'env', channels: { temperature: { calibration: [{ op: 'offset', value: -10 }], filters: [{ kind: 'sliding_average', window: 2, sendEvery: 1 }] } } }], {
      scheduler: new Scheduler(timers),
      clock: fakeClock(timers),
      emit: () => {},
    });
    const sink = sampleFlow((s) => seen.push(s), pipeline.push);
    const s: Sample = { device: 'env', kind: 'sample', monoMs: 0, wallMs: WALL0, timeSource: 'assumed', values: [{ channel: 'temperature', value: 30, unit: '°C' }] };
    sink(s);
    expect(seen[0]).toBe(s);
    expect(s.values[0]?.value).toBe(30); // the pipeline did not write into the runner's sample
  });
});
