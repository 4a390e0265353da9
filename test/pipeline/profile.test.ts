import { describe, expect, it } from 'vitest';
import { ProfileError, parseProfileText } from '../../config/load.js';

/** A profile with one simulated BME280 (temperature −40..85 °C, pressure 300..1100 hPa, humidity 0..100 %RH) sampled every 2 s. */
function profile(channels: string): string {
  return `
box: { id: t }
buses: { i2c: [ { name: i2c1, simulated: true } ] }
devices:
  - id: env
    type: bme280
    bus: i2c1
    address: 0x76
    interval: 2s
    channels:
${channels
  .trim()
  .split('\n')
  .map((l) => `      ${l}`)
  .join('\n')}
`;
}

function problems(channels: string): readonly string[] {
  try {
    parseProfileText(profile(channels), 'profile.yaml');
  } catch (e) {
    if (e instanceof ProfileError) return e.problems;
    throw e;
  }
  return [];
}

describe('profile: pipeline keys', () => {
  it('a realistic chain parses into calibration, filters and report', () => {
    const p = parseProfileText(
      profile(`
temperature:
  calibration: [ { offset: -0.4 }, { calibrate_linear: [ { measured: 0, actual: 0.5 }, { measured: 100, actual: 99.5 } ] }, { round: 2 } ]
  filters: [ { skip_initial: 30s }, { median: { window: 5 } }, { throttle_average: 1m } ]
  report: { delta: 0.2, heartbeat: 5m }
pressure:
  filters: [ { skip_initial: 3 }, { filter_out: [ 300, 1100 ] }, { exponential_average: { alpha: 0.2, send_every: 5 } } ]
  report: { delta: 1% }
humidity:
  report: { period: 1h, stats: [ mean, max ] }
`),
      'profile.yaml',
    );
    const ch = p.devices[0]?.channels ?? {};
    expect(ch.temperature?.calibration?.map((s) => s.op)).toEqual(['offset', 'polynomial', 'round']);
    expect(ch.temperature?.filters).toEqual([
      { kind: 'skip_initial', samples: 0, ms: 30_000 },
      { kind: 'median', window: 5, sendEvery: 1 },
      { kind: 'throttle_average', ms: 60_000 },
    ]);
    expect(ch.temperature?.report).toEqual({ mode: 'delta', absolute: 0.2, percent: 0, floor: 0, heartbeatMs: 300_000 });
    expect(ch.pressure?.filters?.[0]).toEqual({ kind: 'skip_initial', samples: 3, ms: 0 });
    expect(ch.pressure?.filters?.[1]).toEqual({ kind: 'filter_out', values: [300, 1100] });
    expect(ch.pressure?.report).toEqual({ mode: 'delta', absolute: 0, percent: 1, floor: 0, heartbeatMs: 0 });
    expect(ch.humidity?.report).toEqual({ mode: 'period', periodMs: 3_600_000, stats: ['mean', 'max'] });
  });

  it('window 0, an unknown filter and two filters in one item name their paths', () => {
    expect(problems(`
pressure:
  filters: [ { median: { window: 3 } }, { sliding_average: { window: 0 } }, { smooth: 3 }, { min: { window: 2 }, max: { window: 2 } } ]
`)).toEqual([
      'devices[0].channels.pressure.filters[1].sliding_average.window: 0 — a window holds at least 1 sample',
      'devices[0].channels.pressure.filters[2]: "smooth" is not a filter (median, min, max, sliding_average, exponential_average, throttle, throttle_average, debounce, skip_initial, filter_out)',
      'devices[0].channels.pressure.filters[3]: one filter per list item (got min and max); put each on its own "- " line',
    ]);
  });

  it('nonsensical parameters: send_every beyond the window, alpha 0, skip_initial 0, a bad duration', () => {
    expect(problems(`
pressure:
  filters: [ { max: { window: 3, send_every: 5 } }, { exponential_average: { alpha: 0 } }, { skip_initial: 0 }, { throttle: soon } ]
`)).toEqual([
      'devices[0].channels.pressure.filters[0].max.send_every: 5 is larger than window 3: 2 of every 5 samples would never count',
      'devices[0].channels.pressure.filters[1].exponential_average.alpha: 0 — alpha is the weight of the newest sample, above 0 and at most 1',
      'devices[0].channels.pressure.filters[2].skip_initial: 0 — give a whole number of samples ≥ 1, or a time such as "30s"',
      'devices[0].channels.pressure.filters[3].throttle: "soon" is not a duration (write 500ms, 1s, 5m or 1h)',
    ]);
  });

  it('calibration that cannot be fitted, an unknown step, multiply 0 and an empty clamp', () => {
    expect(problems(`
temperature:
  calibration:
    - calibrate_linear: [ { measured: 20, actual: 20.5 } ]
    - calibrate_linear: [ { measured: 20, actual: 20.5 }, { measured: 20, actual: 21 } ]
    - calibrate_polynomial: { degree: 2, points: [ { measured: 0, actual: 0 }, { measured: 1, actual: 1 } ] }
    - scale: 2
    - multiply: 0
    - clamp: {}
`)).toEqual([
      'devices[0].channels.temperature.calibration[0].calibrate_linear: calibrate_linear needs at least 2 reference points ({measured, actual})',
      'devices[0].channels.temperature.calibration[1].calibrate_linear: a degree-1 fit needs at least 2 different measured values (got 1)',
      'devices[0].channels.temperature.calibration[2].calibrate_polynomial.points: a degree-2 fit needs at least 3 different measured values (got 2)',
      'devices[0].channels.temperature.calibration[3]: "scale" is not a calibration step (offset, multiply, calibrate_linear, calibrate_polynomial, clamp, round)',
      'devices[0].channels.temperature.calibration[4].multiply: 0 would make every value 0',
      'devices[0].channels.temperature.calibration[5].clamp: give min, max or both',
    ]);
  });

  it('a percent delta on a channel that can read 0 is refused, with the range from the driver', () => {
    expect(problems('humidity: { report: { delta: 5%, heartbeat: 5m } }')).toEqual([
      'devices[0].channels.humidity.report.delta: 5% of a value that can be 0 means nothing: humidity reads 0..100 %RH. Use an absolute delta in %RH, or add delta_floor (the smallest change in %RH that counts near 0)',
    ]);
    // temperature crosses 0 °C; calibration is taken into account
    expect(problems('temperature: { calibration: [ { offset: 50 } ], report: { delta: 2% } }')).toEqual([]);
    expect(problems('temperature: { calibration: [ { offset: 10 } ], report: { delta: 2% } }')[0]).toMatch(/temperature reads -40\.\.85 °C \(-30\.\.95 after calibration\)/);
    // pressure never reads 0; a floor makes humidity sensible
    expect(problems('pressure: { report: { delta: 0.5% } }')).toEqual([]);
    expect(problems('humidity: { report: { delta: 5%, delta_floor: 1 } }')).toEqual([]);
  });

  it('report rules that contradict each other or the sampling interval', () => {
    expect(problems(`
temperature: { report: { period: 1m, delta: 0.5 } }
pressure: { report: { heartbeat: 5m } }
humidity: { report: { delta: -1 } }
`)).toEqual([
      'devices[0].channels.temperature.report.delta: delta and period exclude each other: a period report already sends once per period',
      'devices[0].channels.pressure.report.heartbeat: a heartbeat needs a delta: without one every value is sent anyway',
      'devices[0].channels.humidity.report.delta: -1 — a delta is a change above 0 (channel unit), or a percentage such as "5%"',
    ]);
    expect(problems('humidity: { report: { delta: 150 } }')).toEqual([
      'devices[0].channels.humidity.report.delta: 150 %RH is more than the whole range of humidity (0..100 %RH): no change could ever reach it',
    ]);
    expect(problems('humidity: { report: { delta: 100 } }')).toEqual([]);
    expect(problems('temperature: { report: { period: 1s } }')).toEqual([
      "devices[0].channels.temperature.report.period: 1000 ms is shorter than the device's sampling interval (2000 ms): most windows would be empty",
    ]);
  });

  it('the whole message names the file, as `edgefw config check` prints it', () => {
    expect(() => parseProfileText(profile('pressure: { filters: [ { sliding_average: { window: 0 } } ] }'), 'profile.yaml')).toThrow(
      /^profile\.yaml: 1 problem\n {2}devices\[0\]\.channels\.pressure\.filters\[0\]\.sliding_average\.window: 0 — a window holds at least 1 sample$/,
    );
  });
});
