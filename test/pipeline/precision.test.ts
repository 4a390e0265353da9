/**
 * Published numbers carry the precision of their source: the pipeline rounds every value that
 * leaves the box to its channel's decimals (profile `decimals`, else a calibration's final
 * `round`, else the part's resolution), after filters and aggregates. The float-noise values
 * below are the ones a platform received before (issue: field-data correctness).
 */
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { PipelineChannelConfig } from '../../config/pipeline.js';
import { parseProfile } from '../../config/load.js';
import { DEVICE_TYPES } from '../../drivers/registry.js';
import { decimalsForStep, roundTo } from '../../drivers/precision.js';
import { Scheduler } from '../../firmware/loop/scheduler.js';
import { FakeTimers } from '../../firmware/loop/timers.js';
import { SignalPipeline } from '../../firmware/pipeline/pipeline.js';
import { withPartDecimals } from '../../firmware/pipeline/precision.js';
import type { Sample } from '../../firmware/reading.js';
import { encodeTelemetry, toWire } from '../../firmware/uplink/payload.js';
import { deviceOptions } from '../helpers/drivers.js';
import { fakeClock } from './helpers.js';

function setup(channels: Record<string, PipelineChannelConfig>, decimals: Record<string, number>) {
  const timers = new FakeTimers();
  const scheduler = new Scheduler(timers);
  const clock = fakeClock(timers);
  const out: Sample[] = [];
  const pipeline = new SignalPipeline([{ id: 'dev', channels, decimals }], { scheduler, clock, emit: (s) => out.push(s) });
  pipeline.start();
  const push = async (values: Record<string, number>): Promise<void> => {
    pipeline.push({ device: 'dev', kind: 'sample', monoMs: timers.now(), wallMs: clock.wallMs(), timeSource: 'assumed', values: Object.entries(values).map(([channel, value]) => ({ channel, value, unit: 'u' })) });
    await timers.advance(1000);
  };
  const wire = (): string => encodeTelemetry('box', 1, out.map((s, i) => toWire(s, i)));
  return { timers, pipeline, out, push, wire };
}

const published = (out: readonly Sample[], ch: string): number[] => out.flatMap((s) => s.values.filter((v) => v.channel === ch).map((v) => v.value));

describe('rounding helpers', () => {
  it('roundTo gives the double nearest the decimal, so it prints without noise', () => {
    expect(String(roundTo(126.66400000000002, 3))).toBe('126.664');
    expect(String(roundTo(23.654000000000003, 3))).toBe('23.654');
    expect(String(roundTo(23.48608695652174, 2))).toBe('23.49');
    expect(roundTo(-2.345, 2)).toBe(-2.35); // half away from zero, as on a display
    expect(roundTo(1013.4, -1)).toBe(1010);
    expect(roundTo(0.1 + 0.2, 2)).toBe(0.3);
    expect(Number.isNaN(roundTo(Number.NaN, 2))).toBe(true);
    expect(roundTo(Number.POSITIVE_INFINITY, 2)).toBe(Number.POSITIVE_INFINITY);
  });

  it('decimalsForStep turns a resolution into the places that show it', () => {
    expect(decimalsForStep(0.01)).toBe(2);
    expect(decimalsForStep(0.004)).toBe(3); // INA219 bus voltage LSB
    expect(decimalsForStep(1 / 1.2)).toBe(1); // BH1750 count at MTreg 69
    expect(decimalsForStep(1)).toBe(0);
    expect(decimalsForStep(4)).toBe(0);
    expect(decimalsForStep(4.096 / 32768)).toBe(4); // ADS1115 LSB at ±4.096 V
  });
});

describe('the pipeline publishes each channel at its precision', () => {
  it('a channel without rules is rounded to the part resolution; the raw float noise never leaves', async () => {
    const { push, out, wire } = setup({}, { power: 3, temperature: 2 });
    await push({ power: 126.66400000000002, temperature: 23.654000000000003 });
    expect(out[0]?.values).toEqual([
      { channel: 'power', value: 126.664, unit: 'u' },
      { channel: 'temperature', value: 23.65, unit: 'u' },
    ]);
    expect(wire()).toContain('"v":{"power":126.664,"temperature":23.65}');
  });

  it("a 60 s mean honours the calibration's final round: 2 (23.48608695652174 → 23.49)", async () => {
    // 23 values whose mean is 23.48608695652174 (the value a platform received)
    const values = [...Array.from({ length: 22 }, () => 23.49), 23.4];
    expect(values.reduce((a, b) => a + b, 0) / values.length).toBeCloseTo(23.48608695652174, 12);
    const cal: PipelineChannelConfig = { calibration: [{ op: 'offset', value: 0 }, { op: 'round', decimals: 2 }], report: { mode: 'period', periodMs: 60_000, stats: ['mean', 'min', 'max'] } };
    const { push, out, timers } = setup({ temperature: cal }, { temperature: 3 });
    for (const v of values) await push({ temperature: v });
    await timers.advance(60_000);
    const agg = out.find((s) => s.kind === 'aggregate');
    expect(agg?.values.find((v) => v.channel === 'temperature')?.value).toBe(23.49);
    expect(agg?.values.find((v) => v.channel === 'temperature_min')?.value).toBe(23.4);
  });

  it('the profile decimals overrides the part and the calibration; filters and heartbeats are rounded too', async () => {
    const cfg: PipelineChannelConfig = {
      decimals: 1,
      calibration: [{ op: 'multiply', value: 1.1 }, { op: 'round', decimals: 3 }],
      filters: [{ kind: 'sliding_average', window: 3, sendEvery: 1 }],
      report: { mode: 'delta', absolute: 100, percent: 0, floor: 0, heartbeatMs: 5000 },
    };
    const { push, out, timers } = setup({ temperature: cfg, humidity: { decimals: 0 } }, { temperature: 2, humidity: 2 });
    await push({ temperature: 21.123, humidity: 45.678 });
    await push({ temperature: 21.2, humidity: 45.2 });
    await timers.advance(6000); // heartbeat sends the latest mean
    const temps = published(out, 'temperature');
    expect(temps.length).toBeGreaterThanOrEqual(2);
    for (const v of temps) expect(String(v)).toMatch(/^\d+(\.\d)?$/);
    expect(temps[0]).toBe(23.2); // 21.123 × 1.1 = 23.2353
    expect(published(out, 'humidity')).toEqual([46, 45]);
  });

  it('non-finite values still travel as null', async () => {
    const { push, wire } = setup({}, { temperature: 2 });
    await push({ temperature: Number.NaN });
    expect(wire()).toContain('"v":{"temperature":null}');
  });

  it('every channel of every registered part declares its decimals, and the profile key is validated', () => {
    for (const def of DEVICE_TYPES) {
      const d = deviceOptions(def, { ...def.example, ...(def.bus === 'i2c' || def.bus === 'gpio' ? { bus: 'b' } : {}) });
      const p = withPartDecimals(d as never);
      const specs = def.channels(d as never);
      expect(Object.keys(p.decimals ?? {}), def.type).toEqual(specs.map((c) => c.name));
      for (const c of specs) expect(Number.isInteger(c.decimals) && c.decimals >= 0 && c.decimals <= 10, `${def.type} ${c.name} ${c.decimals}`).toBe(true);
    }
    expect(() => parseProfile(parseYaml('box: { id: b }\nbuses: { i2c: [ { name: i2c1, simulated: true } ] }\ndevices: [ { id: env, type: bme280, bus: i2c1, channels: { temperature: { decimals: 1.5 } } } ]'))).toThrow(/devices\[0\]\.channels\.temperature\.decimals/);
  });
});
