import { describe, expect, it } from 'vitest';
import { loadProfile } from '../../config/load.js';
import { simulateProfile } from '../../bench/demo-sim.js';
import { roundTo } from '../../drivers/precision.js';

describe('demo profile through real drivers, runners and the pipeline on a fake clock', () => {
  it('temperature leaves as one-minute aggregates of the calibrated raw samples; humidity and pressure on change', async () => {
    const run = await simulateProfile(loadProfile('config/profiles/demo.yaml'), 5);
    const raw = run.raw.filter((s) => s.device === 'env');
    const reported = run.reported.filter((s) => s.device === 'env');
    // env samples every 2 s: 150 raw samples in 5 minutes reach the checks position
    expect(raw).toHaveLength(150);
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
      // the mean is published with the calibration's final round: 0.01 °C, no binary noise
      expect(byName.temperature).toBe(roundTo(minute.reduce((x, y) => x + y, 0) / 30, 2));
      expect(String(byName.temperature)).toMatch(/^-?\d+(\.\d{1,2})?$/);
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

  it('the door leaves the box on every change (events at once) and not on the unchanged 1 s samples', async () => {
    // the demo door first opens 20–40 min after start (a technician's visit): simulate 45 min
    const run = await simulateProfile(loadProfile('config/profiles/demo.yaml'), 45);
    const raw = run.raw.filter((s) => s.device === 'door');
    const reported = run.reported.filter((s) => s.device === 'door');
    const open = (s: (typeof raw)[number]): number | undefined => s.values.find((v) => v.channel === 'open')?.value;
    // every change of the raw state, in order, is in what was reported
    const changes: number[] = [];
    for (const s of raw) {
      const v = open(s);
      if (v !== undefined && v !== changes.at(-1)) changes.push(v);
    }
    const sent: number[] = [];
    for (const s of reported) {
      const v = open(s);
      if (v !== undefined && v !== sent.at(-1)) sent.push(v);
    }
    expect(changes.length).toBeGreaterThan(2); // the demo scene opens and closes the door
    expect(sent).toEqual(changes);
    // every door event (a debounced edge: a change) left at once, as an event with its own time
    const events = raw.filter((s) => s.kind === 'event' && open(s) !== undefined);
    for (const e of events) expect(reported.some((r) => r.kind === 'event' && r.monoMs === e.monoMs)).toBe(true);
    expect(reported.length).toBeLessThan(raw.length / 10);
  });

  it("particulate: 60 s means of the raw PM2.5 after the driver's warm-up, sent on a 5 % change (≥ 1 µg/m³) or the 5 min heartbeat", async () => {
    const run = await simulateProfile(loadProfile('config/profiles/demo.yaml'), 12);
    const raw = run.raw.filter((s) => s.device === 'dust');
    const pm = (s: (typeof raw)[number]): number | undefined => s.values.find((v) => v.channel === 'pm2_5')?.value;
    // the driver drops its own 30 s warm-up: the first reading comes at 30 s or later (5 s interval)
    expect(raw[0]?.monoMs).toBeGreaterThanOrEqual(30_000);
    expect(raw.length).toBeGreaterThan(100);
    // block means of 12 raw values (60 s at 5 s), each due at its 12th sample
    const means = new Map<number, number>();
    for (let i = 11; i < raw.length; i += 12) {
      const block = raw.slice(i - 11, i + 1).map((s) => pm(s) as number);
      means.set(raw[i]?.monoMs as number, block.reduce((a, b) => a + b, 0) / 12);
    }
    const sent = run.reported.filter((s) => s.device === 'dust' && s.kind === 'sample' && pm(s) !== undefined);
    expect(sent.length).toBeGreaterThan(2);
    let last: { t: number; v: number } | undefined;
    for (const s of sent) {
      const v = pm(s) as number;
      const t = s.monoMs;
      expect(v).toBe(Math.round(means.get(t) as number)); // a 60 s mean in whole µg/m³ (the part's resolution), sent with the time of its last sample
      if (last) {
        const changed = Math.abs(v - last.v) >= Math.max(0.05 * Math.abs(last.v), 1);
        expect(changed || t - last.t >= 300_000).toBe(true);
      }
      last = { t, v };
    }
    // and no mean that moved ≥ 5 % from what was last sent was held back
    let lastSent: number | undefined;
    for (const [t, v] of means) {
      const wasSent = sent.some((s) => s.monoMs === t);
      if (lastSent !== undefined && Math.abs(v - lastSent) >= Math.max(0.05 * Math.abs(lastSent), 1)) expect(wasSent).toBe(true);
      if (wasSent) lastSent = v;
    }
    // the counts leave as one 60 s aggregate per minute
    const agg = run.reported.filter((s) => s.device === 'dust' && s.kind === 'aggregate');
    expect(agg.length).toBeGreaterThanOrEqual(11);
    expect(agg[1]?.values.map((v) => v.channel)).toEqual(['pm1_0_cf1', 'pm2_5_cf1', 'pm10_cf1', 'n0_3', 'n0_5', 'n1_0', 'n2_5', 'n5_0', 'n10']);
    expect(agg[1]?.window?.count).toBe(12);
  });
});
