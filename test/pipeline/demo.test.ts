import { describe, expect, it } from 'vitest';
import { loadProfile } from '../../config/load.js';
import { simulateProfile } from '../../bench/demo-sim.js';

describe('demo profile through real drivers, runners and the pipeline on a fake clock', () => {
  it('temperature leaves as one-minute aggregates of the calibrated raw samples; humidity and pressure on change', async () => {
    const { raw, reported } = await simulateProfile(loadProfile('config/profiles/demo.yaml'), 5);
    // env samples every 2 s: 150 raw samples in 5 minutes reach the checks position
    expect(raw.filter((s) => s.device === 'env')).toHaveLength(150);
    const aggregates = reported.filter((s) => s.kind === 'aggregate');
    expect(aggregates).toHaveLength(5);
    for (const [k, a] of aggregates.entries()) {
      expect(a.window?.endMs).toBe(a.wallMs);
      expect((a.window?.endMs ?? 0) - (a.window?.startMs ?? 0)).toBe(60_000);
      expect(a.window?.startMs).toBe(Date.UTC(2026, 0, 1, 0, k));
      expect(a.window?.count).toBe(30);
      // the same numbers by hand from the raw samples of that minute: offset -0.3 °C, round to 0.01
      const t0 = k * 60_000;
      const minute = raw.filter((s) => s.monoMs >= t0 && s.monoMs < t0 + 60_000).map((s) => Math.round(((s.values.find((v) => v.channel === 'temperature')?.value ?? Number.NaN) - 0.3) * 100) / 100);
      expect(minute).toHaveLength(30);
      const byName = Object.fromEntries(a.values.map((v) => [v.channel, v.value]));
      expect(byName.temperature).toBeCloseTo(minute.reduce((x, y) => x + y, 0) / 30, 9);
      expect(byName.temperature_min).toBe(Math.min(...minute));
      expect(byName.temperature_max).toBe(Math.max(...minute));
    }
    const single = reported.filter((s) => s.kind === 'sample');
    expect(single.every((s) => s.values.every((v) => v.channel === 'humidity' || v.channel === 'pressure'))).toBe(true);
    // humidity: the first value, then changes of ≥ 2 %RH or a heartbeat (every gap ≤ 5 min + one interval)
    const hum = single.filter((s) => s.values.some((v) => v.channel === 'humidity')).map((s) => s.monoMs);
    expect(hum[0]).toBe(0);
    for (let i = 1; i < hum.length; i++) expect((hum[i] as number) - (hum[i - 1] as number)).toBeLessThanOrEqual(302_000);
    expect(reported.length).toBeLessThan(raw.length / 2);
  });
});
