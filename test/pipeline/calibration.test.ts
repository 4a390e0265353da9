import { describe, expect, it } from 'vitest';
import type { CalStep } from '../../config/pipeline.js';
import { calibrate, calibratedRange } from '../../firmware/pipeline/calibration.js';
import { evalPoly, fitPolynomial } from '../../firmware/pipeline/fit.js';

function fit(points: [number, number][], degree: number): CalStep {
  const p = fitPolynomial(
    points.map(([measured, actual]) => ({ measured, actual })),
    degree,
  );
  if (typeof p === 'string') throw new Error(p);
  return { op: 'polynomial', name: degree === 1 ? 'calibrate_linear' : 'calibrate_polynomial', poly: p };
}

describe('calibration steps (channel units)', () => {
  it('offset and multiply, in order', () => {
    expect(calibrate([{ op: 'offset', value: -0.4 }], 21.4)).toBeCloseTo(21.0, 12);
    expect(calibrate([{ op: 'multiply', value: 1.02 }], 50)).toBeCloseTo(51, 12);
    // (10 + 1) · 2 = 22 but 10 · 2 + 1 = 21
    expect(calibrate([{ op: 'offset', value: 1 }, { op: 'multiply', value: 2 }], 10)).toBe(22);
    expect(calibrate([{ op: 'multiply', value: 2 }, { op: 'offset', value: 1 }], 10)).toBe(21);
  });

  it('calibrate_linear through two points is the line through them', () => {
    // (0 → 0.5), (100 → 99.5): actual = 0.5 + 0.99 · measured
    const s = fit(
      [
        [0, 0.5],
        [100, 99.5],
      ],
      1,
    );
    expect(calibrate([s], 20)).toBeCloseTo(20.3, 10);
    expect(calibrate([s], 1013.25)).toBeCloseTo(0.5 + 0.99 * 1013.25, 9);
  });

  it('calibrate_linear through three points is the least-squares line', () => {
    // x̄ = 1, ȳ = 8/3; slope = Σ(x−x̄)(y−ȳ)/Σ(x−x̄)² = 3/2; intercept = 8/3 − 3/2 = 7/6
    const s = fit(
      [
        [0, 1],
        [1, 3],
        [2, 4],
      ],
      1,
    );
    expect(calibrate([s], 10)).toBeCloseTo(15 + 7 / 6, 10);
    expect(calibrate([s], 0)).toBeCloseTo(7 / 6, 10);
  });

  it('calibrate_polynomial recovers a quadratic from exact points, around 1000 hPa too', () => {
    const f = (x: number): number => 2 + 3 * x + 0.5 * x * x;
    const s = fit(
      [0, 1, 2, 3, 4].map((x) => [x, f(x)] as [number, number]),
      2,
    );
    expect(calibrate([s], 10)).toBeCloseTo(82, 8);
    // a slight curvature near 1000 hPa: centring keeps the fit exact
    const g = (x: number): number => x + 1e-5 * (x - 1000) ** 2;
    const t = fit(
      [980, 995, 1005, 1013, 1030].map((x) => [x, g(x)] as [number, number]),
      2,
    );
    expect(calibrate([t], 1020)).toBeCloseTo(g(1020), 8);
  });

  it('a fit that the points cannot determine says why', () => {
    expect(fitPolynomial([{ measured: 1, actual: 2 }, { measured: 1, actual: 3 }], 1)).toMatch(/at least 2 different measured values \(got 1\)/);
    expect(fitPolynomial([0, 1, 2].map((x) => ({ measured: x, actual: x })), 3)).toMatch(/degree-3 fit needs at least 4/);
  });

  it('polynomial coefficients given directly: c0 + c1·x + c2·x²', () => {
    expect(calibrate([{ op: 'polynomial', name: 'calibrate_polynomial', poly: { center: 0, scale: 1, coefficients: [1, 2, 3] } }], 2)).toBe(1 + 4 + 12);
    expect(evalPoly({ center: 0, scale: 1, coefficients: [1, 2, 3] }, -1)).toBe(2);
  });

  it('clamp keeps NaN as NaN and limits finite values; round keeps decimals', () => {
    const clamp: CalStep = { op: 'clamp', min: 0, max: 100 };
    expect(calibrate([clamp], 104.2)).toBe(100);
    expect(calibrate([clamp], -3)).toBe(0);
    expect(calibrate([clamp], Number.NaN)).toBeNaN();
    expect(calibrate([{ op: 'round', decimals: 1 }], 21.04)).toBe(21);
    expect(calibrate([{ op: 'round', decimals: 2 }], 21.046)).toBe(21.05);
    expect(calibrate([{ op: 'round', decimals: -1 }], 1013)).toBe(1010);
    expect(calibrate([{ op: 'round', decimals: 1 }], Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
  });

  it('calibratedRange follows the part range through every step', () => {
    expect(calibratedRange([{ op: 'multiply', value: -2 }], -40, 85)).toEqual([-170, 80]);
    expect(calibratedRange([{ op: 'offset', value: 5 }, { op: 'clamp', min: 10, max: 50 }], 0, 100)).toEqual([10, 50]);
    expect(calibratedRange([{ op: 'round', decimals: 0 }], 0.2, 5)).toEqual([0, 5]);
    // x² − 4 over −1..3 reaches −4 at x = 0, inside the range
    const [lo, hi] = calibratedRange([{ op: 'polynomial', name: 'calibrate_polynomial', poly: { center: 0, scale: 1, coefficients: [-4, 0, 1] } }], -1, 3);
    expect(lo).toBeCloseTo(-4, 3);
    expect(hi).toBeCloseTo(5, 10);
  });
});
