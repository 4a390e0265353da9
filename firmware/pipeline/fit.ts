/**
 * Least-squares fits for calibration, done once when a profile is loaded (never per sample).
 *
 * A technician measures the sensor next to a reference instrument at a few points and writes
 * them down as { measured, actual } pairs in the channel's unit. We fit
 *   actual ≈ c0 + c1·u + c2·u² + …   with u = (measured − center) / scale
 * Centring and scaling u to about −1..1 keeps the normal equations well conditioned even for
 * pressures around 1000 hPa (x² ≈ 10⁶ next to 1 would lose digits otherwise).
 *
 * Worked example (two points, a straight line): (0 → 0.5), (100 → 99.5) gives
 * actual = 0.5 + 0.99·measured; measured 20 → 20.3.
 */

export interface CalPoint {
  readonly measured: number;
  readonly actual: number;
}

/** A polynomial in u = (x − center) / scale; coefficients lowest order first. */
export interface Poly {
  readonly center: number;
  readonly scale: number;
  readonly coefficients: readonly number[];
}

/** Evaluate a polynomial (Horner's scheme). */
export function evalPoly(p: Poly, x: number): number {
  const u = (x - p.center) / p.scale;
  const c = p.coefficients;
  let y = 0;
  for (let i = c.length - 1; i >= 0; i--) y = y * u + (c[i] as number);
  return y;
}

/**
 * Fit a polynomial of `degree` through `points` by least squares. Returns a reason string
 * when the points cannot determine it (too few distinct measured values).
 */
export function fitPolynomial(points: readonly CalPoint[], degree: number): Poly | string {
  const distinct = new Set(points.map((p) => p.measured)).size;
  if (distinct < degree + 1) {
    return `a degree-${degree} fit needs at least ${degree + 1} different measured values (got ${distinct})`;
  }
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const p of points) {
    lo = Math.min(lo, p.measured);
    hi = Math.max(hi, p.measured);
  }
  const center = (lo + hi) / 2;
  const scale = (hi - lo) / 2 || 1;
  const n = degree + 1;
  // normal equations A·c = b with A[j][k] = Σ u^(j+k), b[j] = Σ y·u^j
  const a: number[][] = Array.from({ length: n }, () => new Array<number>(n + 1).fill(0));
  for (const p of points) {
    const u = (p.measured - center) / scale;
    for (let j = 0; j < n; j++) {
      const row = a[j] as number[];
      for (let k = 0; k < n; k++) row[k] = (row[k] as number) + u ** (j + k);
      row[n] = (row[n] as number) + p.actual * u ** j;
    }
  }
  const c = solve(a, n);
  if (!c) return 'the points do not determine a fit (singular system)';
  return { center, scale, coefficients: c };
}

/** A polynomial given directly as coefficients of x (lowest order first). */
export function polyFromCoefficients(coefficients: readonly number[]): Poly {
  return { center: 0, scale: 1, coefficients };
}

/** Gaussian elimination with partial pivoting on an augmented n×(n+1) matrix. */
function solve(a: number[][], n: number): number[] | undefined {
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs((a[r] as number[])[col] as number) > Math.abs((a[pivot] as number[])[col] as number)) pivot = r;
    const pr = a[pivot] as number[];
    if (Math.abs(pr[col] as number) < 1e-12) return undefined;
    a[pivot] = a[col] as number[];
    a[col] = pr;
    for (let r = col + 1; r < n; r++) {
      const row = a[r] as number[];
      const f = (row[col] as number) / (pr[col] as number);
      for (let k = col; k <= n; k++) row[k] = (row[k] as number) - f * (pr[k] as number);
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    const row = a[r] as number[];
    let s = row[n] as number;
    for (let k = r + 1; k < n; k++) s -= (row[k] as number) * (x[k] as number);
    x[r] = s / (row[r] as number);
  }
  return x.every(Number.isFinite) ? x : undefined;
}

/**
 * Lowest and highest value of p over [lo, hi], for the profile check "can this channel read 0
 * after calibration?". Exact at the ends; between them sampled at 1024 steps, which is plenty
 * for the low-degree polynomials calibration uses.
 */
export function polyRange(p: Poly, lo: number, hi: number): readonly [number, number] {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  const steps = p.coefficients.length <= 2 ? 1 : 1024;
  for (let i = 0; i <= steps; i++) {
    const y = evalPoly(p, lo + ((hi - lo) * i) / steps);
    if (y < min) min = y;
    if (y > max) max = y;
  }
  return [min, max];
}
