import { describe, expect, it } from 'vitest';
import { run, seconds } from './helpers.js';

const N = Number.NaN;
const _ = undefined;

describe('window filters (count-based)', () => {
  it('median of 3: partial window first, NaN dropped without touching the window', () => {
    // windows: [5] [5,1] [5,1,9] (NaN) [1,9,3] [9,3,7]
    expect(run({ filters: [{ kind: 'median', window: 3, sendEvery: 1 }] }, seconds([5, 1, 9, N, 3, 7]))).toEqual([5, 3, 5, _, 3, 7]);
  });

  it('median of an even count is the mean of the two middle values', () => {
    // sorted 1 2 5 8 → (2 + 5) / 2
    expect(run({ filters: [{ kind: 'median', window: 4, sendEvery: 4 }] }, seconds([1, 5, 2, 8]))).toEqual([_, _, _, 3.5]);
    // duplicates around the middle: 4 4 4 9 → 4
    expect(run({ filters: [{ kind: 'median', window: 4, sendEvery: 4 }] }, seconds([4, 9, 4, 4]))).toEqual([_, _, _, 4]);
  });

  it('min of 3 sent every 3 samples', () => {
    expect(run({ filters: [{ kind: 'min', window: 3, sendEvery: 3 }] }, seconds([4, 2, 6, 1, 9, 8]))).toEqual([_, _, 2, _, _, 1]);
  });

  it('max of 2 drops +Infinity (a driver overflow), it never wins the window', () => {
    expect(run({ filters: [{ kind: 'max', window: 2, sendEvery: 1 }] }, seconds([3, Number.POSITIVE_INFINITY, 1, 7]))).toEqual([3, _, 3, 7]);
  });

  it('sliding_average of 3, and of 4 sent every 2', () => {
    expect(run({ filters: [{ kind: 'sliding_average', window: 3, sendEvery: 1 }] }, seconds([3, 6, 9, 12]))).toEqual([3, 4.5, 6, 9]);
    // (2+4)/2, (2+4+6+8)/4, (6+8+10+12)/4
    expect(run({ filters: [{ kind: 'sliding_average', window: 4, sendEvery: 2 }] }, seconds([2, 4, 6, 8, 10, 12]))).toEqual([_, 3, _, 5, _, 9]);
  });

  it('sliding_average keeps no rounding drift over 200 000 samples', () => {
    // a plain running sum over this sequence drifts by ~8e-9 (measured); exact re-summing once per window keeps it ≤ 1e-10
    const w = 60;
    let seed = 1;
    const rand = (): number => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed / 2 ** 32;
    };
    const values = Array.from({ length: 200_000 }, (_v, i) => (i % 2 ? 1e6 * rand() : 1e-3 * rand()));
    const out = run({ filters: [{ kind: 'sliding_average', window: w, sendEvery: 1 }] }, seconds(values));
    const exact = values.slice(-w).reduce((a, b) => a + b, 0) / w;
    expect(Math.abs((out.at(-1) as number) - exact)).toBeLessThan(1e-10);
  });

  it('count-based filters take a late sample (older timestamp) as the newest value', () => {
    const input: [number, number][] = [
      [10, 3000],
      [20, 1000], // arrives late
      [30, 4000],
    ];
    expect(run({ filters: [{ kind: 'sliding_average', window: 2, sendEvery: 1 }] }, input)).toEqual([10, 15, 25]);
  });

  it('exponential_average with alpha 0.5, from the first value; NaN ignored', () => {
    // 10; 0.5·20 + 0.5·10 = 15; (NaN); 0.5·0 + 0.5·15 = 7.5
    expect(run({ filters: [{ kind: 'exponential_average', alpha: 0.5, sendEvery: 1 }] }, seconds([10, 20, N, 0]))).toEqual([10, 15, _, 7.5]);
    expect(run({ filters: [{ kind: 'exponential_average', alpha: 0.5, sendEvery: 2 }] }, seconds([10, 20, 0, 40]))).toEqual([_, 15, _, 23.75]);
  });
});

describe('time filters (time from the sample, never a clock)', () => {
  it('throttle passes one value per period; a late sample does not reopen it; NaN does not use it up', () => {
    const input: [number, number][] = [
      [1, 0],
      [2, 500],
      [3, 1000],
      [4, 1400],
      [5, 2500],
      [6, 2400], // late
      [N, 3600],
      [8, 3600],
    ];
    expect(run({ filters: [{ kind: 'throttle', ms: 1000 }] }, input)).toEqual([1, _, 3, _, 5, _, _, 8]);
  });

  it('throttle_average: mean of each period, passed with the first value of the next; late values join the open period', () => {
    const input: [number, number][] = [
      [1, 0],
      [2, 4000],
      [3, 8000],
      [10, 12_000], // closes [0, 10 s): (1+2+3)/3
      [20, 15_000],
      [5, 9000], // late: joins the open period [10 s, 20 s)
      [N, 25_000], // dropped, does not close the period
      [0, 31_000], // closes [10 s, 20 s): (10+20+5)/3; opens [30 s, 40 s)
      [4, 41_000], // closes [30 s, 40 s): 0
    ];
    expect(run({ filters: [{ kind: 'throttle_average', ms: 10_000 }] }, input)).toEqual([_, _, _, 2, _, _, _, 35 / 3, 0]);
  });

  it('debounce passes a value once it has held for the period, and while it holds', () => {
    // 250 ms samples: the 1 at 500 ms and the 0 at 750 ms each restart the wait
    const v = [0, 0, 1, 0, 0, 0, 0, 0, 0];
    const input = v.map((x, i) => [x, i * 250] as [number, number]);
    expect(run({ filters: [{ kind: 'debounce', ms: 1000 }] }, input)).toEqual([_, _, _, _, _, _, _, 0, 0]);
  });

  it('skip_initial by count ignores NaN; by time measures from the first value', () => {
    expect(run({ filters: [{ kind: 'skip_initial', samples: 2, ms: 0 }] }, seconds([N, 1, 2, 3, 4]))).toEqual([_, _, _, 3, 4]);
    const input: [number, number][] = [
      [1, 0],
      [2, 29_999],
      [3, 30_000],
      [4, 10_000], // late: still inside the warm-up
      [5, 31_000],
    ];
    expect(run({ filters: [{ kind: 'skip_initial', samples: 0, ms: 30_000 }] }, input)).toEqual([_, _, 3, _, 5]);
  });

  it('filter_out drops the sentinels (compared exactly) and non-finite values', () => {
    expect(run({ filters: [{ kind: 'filter_out', values: [65535, -1] }] }, seconds([65535, 3, -1, N, 65534.9]))).toEqual([_, 3, _, _, 65534.9]);
  });
});

describe('chains', () => {
  it('calibration runs before the filters, the filters in profile order', () => {
    // filter_out compares calibrated values: offset +1 turns raw 9 into 10, which filter_out 10 drops
    const out = run(
      {
        calibration: [
          { op: 'offset', value: 1 },
          { op: 'round', decimals: 0 },
        ],
        filters: [
          { kind: 'filter_out', values: [10] },
          { kind: 'skip_initial', samples: 1, ms: 0 },
          { kind: 'median', window: 3, sendEvery: 1 },
          { kind: 'sliding_average', window: 2, sendEvery: 2 },
        ],
      },
      seconds([1.2, 9, 3.4, 5.4, 101.7, 4.2, 5.1]),
    );
    // calibrated and rounded: 2, 10 (dropped), 4, 6, 103, 5, 6; skip_initial drops the 2
    // medians of 3: [4]=4, [4,6]=5, [4,6,103]=6, [6,103,5]=6, [103,5,6]=6 (the spike never shows)
    // sliding_average of 2 sent every 2: (4+5)/2 = 4.5, then (6+6)/2 = 6; the last 6 is held
    expect(out).toEqual([_, _, _, 4.5, _, 6, _]);
  });

  it('order matters: sliding_average then throttle is not throttle then sliding_average', () => {
    const input = seconds([1, 2, 3, 4, 5, 6]);
    const a = run({ filters: [{ kind: 'sliding_average', window: 2, sendEvery: 1 }, { kind: 'throttle', ms: 2000 }] }, input);
    const b = run({ filters: [{ kind: 'throttle', ms: 2000 }, { kind: 'sliding_average', window: 2, sendEvery: 1 }] }, input);
    expect(a).toEqual([1, _, 2.5, _, 4.5, _]);
    expect(b).toEqual([1, _, 2, _, 4, _]);
  });
});
