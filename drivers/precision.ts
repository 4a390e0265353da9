/**
 * Precision of published numbers. Every channel declares how many decimal places its part
 * resolves (ChannelSpec.decimals); the signal pipeline rounds what leaves the box to it, after
 * calibration, filters and aggregates, so a platform never receives binary float noise such as
 * 126.66400000000002 or a 60 s mean of 23.48608695652174 from a sensor that resolves 0.01 °C.
 */

/**
 * Decimal places that show a step of the part's resolution: 0.01 → 2, 0.004 V → 3,
 * 0.83 lx → 1, 1 → 0, 4 → 0. Capped at 0..10.
 */
export function decimalsForStep(step: number): number {
  if (!(step > 0) || !Number.isFinite(step)) return 0;
  const d = Math.ceil(-Math.log10(step) - 1e-9);
  return Math.min(10, Math.max(0, d));
}

/**
 * Round to `decimals` places (negative: to tens, hundreds …), half away from zero on the
 * decimal value, and return the double nearest that decimal (so it prints without noise:
 * roundTo(126.66400000000002, 3) → 126.664). Non-finite values pass unchanged.
 */
export function roundTo(value: number, decimals: number): number {
  if (!Number.isFinite(value)) return value;
  if (decimals >= 0) {
    const f = 10 ** decimals;
    const r = Math.round(Math.abs(value) * f) / f;
    return value < 0 ? -r : r;
  }
  const f = 10 ** -decimals;
  const r = Math.round(Math.abs(value) / f) * f;
  return value < 0 ? -r : r;
}
