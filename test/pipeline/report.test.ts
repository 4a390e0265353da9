import { describe, expect, it } from 'vitest';
import type { PipelineChannelConfig, ReportConfig } from '../../config/pipeline.js';
import { Scheduler } from '../../firmware/loop/scheduler.js';
import { FakeTimers } from '../../firmware/loop/timers.js';
import { sampleFlow } from '../../firmware/pipeline/flow.js';
import { SignalPipeline } from '../../firmware/pipeline/pipeline.js';
import type { Sample } from '../../firmware/reading.js';
import { WALL0, fakeClock } from './helpers.js';

function setup(channels: Record<string, PipelineChannelConfig>) {
  const timers = new FakeTimers();
  const scheduler = new Scheduler(timers);
  const clock = fakeClock(timers);
  const out: Sample[] = [];
  const pipeline = new SignalPipeline([{ id: 'env', channels }], { scheduler, clock, emit: (s) => out.push(s) });
  pipeline.start();
  const sample = (values: Record<string, number>, kind: Sample['kind'] = 'sample'): Sample => ({
    device: 'env',
    kind,
    monoMs: timers.now(),
    wallMs: clock.wallMs(),
    timeSource: 'assumed',
    values: Object.entries(values).map(([channel, value]) => ({ channel, value, unit: channel === 'temperature' ? '°C' : '%RH' })),
  });
  /** feed one sample per second from the sequence, starting now */
  const feed = async (seq: readonly Record<string, number>[]): Promise<void> => {
    for (const v of seq) {
      pipeline.push(sample(v));
      await timers.advance(1000);
    }
  };
  return { timers, scheduler, pipeline, out, sample, feed };
}

const delta = (d: Partial<Extract<ReportConfig, { mode: 'delta' }>>): ReportConfig => ({ mode: 'delta', absolute: 0, percent: 0, floor: 0, heartbeatMs: 0, ...d });
const t = (v: number): Record<string, number> => ({ temperature: v });

describe('report on change (delta) with a heartbeat, on a fake clock', () => {
  it('sends the first value, then changes ≥ delta, and the latest value once per heartbeat without change', async () => {
    const { out, feed } = setup({ temperature: { report: delta({ absolute: 0.5, heartbeatMs: 10_000 }) } });
    // t = 0 … 29 s, one sample a second: 20.0, 20.1, 20.2, 20.6 (≥ 0.5 from 20.0), then 20.6 … flat
    await feed([20.0, 20.1, 20.2, 20.6, ...Array.from({ length: 26 }, (_v, i) => 20.6 + (i % 2) * 0.1)].map(t));
    const sent = out.map((s) => [s.monoMs, s.values[0]?.value]);
    // heartbeats fall due at 13 s and 23 s and carry the latest sample (read at 12 s and 22 s) with its own time
    expect(sent).toEqual([
      [0, 20.0],
      [3000, 20.6],
      [12_000, 20.6],
      [22_000, 20.6],
    ]);
  });

  it('a value sent on change restarts the heartbeat', async () => {
    const { out, feed } = setup({ temperature: { report: delta({ absolute: 1, heartbeatMs: 5000 }) } });
    await feed([10, 10, 10, 10, 12, 12, 12, 12, 12, 12, 12, 12].map(t));
    expect(out.map((s) => s.monoMs)).toEqual([0, 4000, 8000]);
  });

  it('a heartbeat with nothing new (device silent) sends nothing; the next value leaves at once', async () => {
    const { out, feed, timers } = setup({ temperature: { report: delta({ absolute: 1, heartbeatMs: 5000 }) } });
    await feed([10].map(t));
    await timers.advance(20_000); // device failed: no samples; the heartbeat at 5 s finds nothing to send
    expect(out.map((s) => s.monoMs)).toEqual([0]);
    await feed([10.2, 10.1, 10.2, 10.3, 10.2, 10.1].map(t)); // 21 … 26 s: no change, but the heartbeat is overdue
    expect(out.map((s) => [s.monoMs, s.values[0]?.value])).toEqual([
      [0, 10],
      [21_000, 10.2],
      [25_000, 10.2], // heartbeat re-armed at 21 s falls due at 26 s with the sample of 25 s
    ]);
  });

  it('percent delta is relative to the last value sent; delta_floor decides near zero', async () => {
    const { out, feed } = setup({ temperature: { report: delta({ percent: 5, floor: 1 }) } });
    // 0 → 0.5 (< floor 1) → 1.0 (= floor) → 100 → 104 (4 %) → 105 (5 % of 100) → 100 (4.8 % of 105)
    await feed([0, 0.5, 1.0, 100, 104, 105, 100].map(t));
    expect(out.map((s) => s.values[0]?.value)).toEqual([0, 1.0, 100, 105]);
  });

  it('NaN is sent once when a value goes missing, and the next number when it comes back', async () => {
    const { out, feed } = setup({ temperature: { report: delta({ absolute: 1 }) } });
    await feed([20, Number.NaN, Number.NaN, 20.1, 20.2].map(t));
    expect(out.map((s) => s.values[0]?.value)).toEqual([20, Number.NaN, 20.1]);
  });

  it('channels without a rule pass through raw; one sample leaves with the values due at that time', async () => {
    const { out, feed } = setup({ temperature: { report: delta({ absolute: 1 }) } });
    await feed([
      { temperature: 20, humidity: 40 },
      { temperature: 20.2, humidity: 41 },
      { temperature: 21.5, humidity: 42 },
    ]);
    expect(out.map((s) => s.values.map((v) => `${v.channel}=${v.value}`).join(' '))).toEqual(['temperature=20 humidity=40', 'humidity=41', 'temperature=21.5 humidity=42']);
    expect(out.every((s) => s.kind === 'sample' && s.window === undefined)).toBe(true);
  });

  it('a device with no rules passes its samples through untouched (same object)', () => {
    const { pipeline, out, sample } = setup({ temperature: {} });
    const s = sample({ temperature: 1 });
    pipeline.push(s);
    expect(out[0]).toBe(s);
  });
});

describe('report per period (aggregates)', () => {
  it('mean, min and max of each period, aligned to wall-clock multiples, with window start, end and count', async () => {
    const { out, feed, timers } = setup({ temperature: { report: { mode: 'period', periodMs: 10_000, stats: ['mean', 'min', 'max'] } } });
    // wall starts at :03, so the first window closes at :10 (7 s), the next at :20 (17 s)
    await timers.advance(500);
    await feed([1, 2, 3, 4, 5, 6, 7, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100].map(t)); // at 0.5 s … 16.5 s
    expect(out).toHaveLength(2);
    const [a, b] = out as [Sample, Sample];
    expect(a.kind).toBe('aggregate');
    expect(a.values).toEqual([
      { channel: 'temperature', value: 4, unit: '°C' },
      { channel: 'temperature_min', value: 1, unit: '°C' },
      { channel: 'temperature_max', value: 7, unit: '°C' },
    ]);
    expect(a.window).toEqual({ startMs: WALL0, endMs: WALL0 + 7000, count: 7 });
    expect(a.wallMs).toBe(WALL0 + 7000);
    expect(b.values.map((v) => v.value)).toEqual([55, 10, 100]);
    expect(b.window).toEqual({ startMs: WALL0 + 7000, endMs: WALL0 + 17_000, count: 10 });
  });

  it('channels of one period share a sample when their counts agree, and split when a NaN made them differ', async () => {
    const { out, feed } = setup({
      temperature: { report: { mode: 'period', periodMs: 10_000, stats: ['mean'] } },
      humidity: { report: { mode: 'period', periodMs: 10_000, stats: ['max'] } },
    });
    await feed([
      { temperature: 1, humidity: 40 },
      { temperature: 3, humidity: 50 },
      { temperature: 5, humidity: 45 },
      { temperature: 7, humidity: 41 },
      { temperature: 9, humidity: 44 },
      { temperature: 11, humidity: 30 },
      { temperature: 13, humidity: 31 }, // at 6 s; the window closes at 7 s
      { temperature: 0, humidity: Number.NaN },
      { temperature: 2, humidity: 60 },
    ]);
    await feed(Array.from({ length: 8 }, () => ({ temperature: 4, humidity: 50 })));
    expect(out.map((s) => [s.values.map((v) => `${v.channel}=${v.value}`).join(' '), s.window?.count])).toEqual([
      ['temperature=7 humidity_max=50', 7],
      ['temperature=3.4', 10], // (0 + 2 + 8·4) / 10
      ['humidity_max=60', 9],
    ]);
  });

  it('an empty window sends nothing; stop() publishes the open window as a partial aggregate', async () => {
    const { out, feed, timers, pipeline } = setup({ temperature: { report: { mode: 'period', periodMs: 10_000, stats: ['mean', 'max'] } } });
    await timers.advance(20_000); // two windows without samples
    expect(out).toHaveLength(0);
    await feed([2, 4].map(t)); // at 20 s and 21 s; window [:20, :30) open
    pipeline.stop();
    expect(out).toHaveLength(1);
    expect(out[0]?.values.map((v) => v.value)).toEqual([3, 4]);
    expect(out[0]?.window).toEqual({ startMs: WALL0 + 17_000, endMs: WALL0 + 22_000, count: 2 });
    await timers.advance(60_000);
    expect(out).toHaveLength(1); // tasks cancelled
  });
});

describe('the checks see raw values, the uplink sees what the pipeline reports', () => {
  it('a spike reaches the checks stage untouched while the reported value is the median', async () => {
    const timers = new FakeTimers();
    const scheduler = new Scheduler(timers);
    const uplink: Sample[] = [];
    const checked: Sample[] = [];
    const pipeline = new SignalPipeline([{ id: 'env', channels: { temperature: { filters: [{ kind: 'median', window: 3, sendEvery: 1 }] } } }], { scheduler, clock: fakeClock(timers), emit: (s) => uplink.push(s) });
    const sink = sampleFlow((s) => checked.push(s), pipeline.push);
    const raw = [21.0, 21.1, 500, 21.2];
    raw.forEach((value, i) => sink({ device: 'env', kind: 'sample', monoMs: i * 1000, wallMs: WALL0 + i * 1000, timeSource: 'assumed', values: [{ channel: 'temperature', value, unit: '°C' }] }));
    // a range check on `checked` would trip on 500 (BME280 tops out at 85 °C); the platform never sees it
    expect(checked.map((s) => s.values[0]?.value)).toEqual(raw);
    expect(uplink.map((s) => s.values[0]?.value)).toEqual([21.0, 21.05, 21.1, 21.2]);
  });

  it('checks run before the pipeline for every sample, in order', () => {
    const order: string[] = [];
    const sink = sampleFlow(
      (s) => order.push(`checks ${s.monoMs}`),
      (s) => order.push(`pipeline ${s.monoMs}`),
    );
    for (const monoMs of [1, 2]) sink({ device: 'd', kind: 'sample', monoMs, wallMs: 0, timeSource: 'none', values: [] });
    expect(order).toEqual(['checks 1', 'pipeline 1', 'checks 2', 'pipeline 2']);
  });
});
