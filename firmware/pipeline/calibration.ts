import type { CalStep } from '../../config/pipeline.js';
import { polyRange } from './fit.js';
import { type Stage, VALUE } from './stage.js';

const OFFSET = 0;
const MULTIPLY = 1;
const POLY = 2;
const CLAMP = 3;
const ROUND = 4;

interface Op {
  readonly code: number;
  /** offset, factor, clamp min, or 10^decimals for round */
  readonly a: number;
  /** clamp max */
  readonly b: number;
  /** polynomial in u = (x − center)/scale, lowest order first */
  readonly center: number;
  readonly scale: number;
  readonly coefficients: Float64Array;
}

const NO_COEFFICIENTS = new Float64Array(0);

/**
 * The calibration steps of one channel, compiled into one stage that runs them in order with
 * plain arithmetic (no per-sample allocation). Every step works in the channel's unit:
 *
 *   offset  x + a                 (a in the channel unit: offset -0.4 turns 21.4 °C into 21.0 °C)
 *   multiply x · a                (dimensionless: 1.02 turns 50.0 %RH into 51.0 %RH)
 *   calibrate_linear / _polynomial  p(x), fitted at load time (fit.ts)
 *   clamp  min(max(x, lo), hi)    (NaN stays NaN: a reading that failed is not invented)
 *   round  to `decimals` places   (1 → 21.04 becomes 21.0; -1 → 1013 becomes 1010)
 *
 * Non-finite values pass through unchanged in kind: the filters after it drop them.
 */
export class Calibration implements Stage {
  private readonly ops: readonly Op[];

  constructor(steps: readonly CalStep[]) {
    this.ops = steps.map(compile);
  }

  step(io: Float64Array): boolean {
    let x = io[VALUE] as number;
    const ops = this.ops;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i] as Op;
      switch (op.code) {
        case OFFSET:
          x += op.a;
          break;
        case MULTIPLY:
          x *= op.a;
          break;
        case POLY: {
          const u = (x - op.center) / op.scale;
          const c = op.coefficients;
          let y = 0;
          for (let k = c.length - 1; k >= 0; k--) y = y * u + (c[k] as number);
          x = y;
          break;
        }
        case CLAMP:
          if (x < op.a) x = op.a;
          else if (x > op.b) x = op.b;
          break;
        case ROUND:
          if (Number.isFinite(x)) x = Math.round(x * op.a) / op.a;
          break;
      }
    }
    io[VALUE] = x;
    return true;
  }

  reset(): void {}
}

function compile(s: CalStep): Op {
  const base = { a: 0, b: 0, center: 0, scale: 1, coefficients: NO_COEFFICIENTS };
  switch (s.op) {
    case 'offset':
      return { ...base, code: OFFSET, a: s.value };
    case 'multiply':
      return { ...base, code: MULTIPLY, a: s.value };
    case 'polynomial':
      return { ...base, code: POLY, center: s.poly.center, scale: s.poly.scale, coefficients: Float64Array.from(s.poly.coefficients) };
    case 'clamp':
      return { ...base, code: CLAMP, a: s.min, b: s.max };
    case 'round':
      return { ...base, code: ROUND, a: 10 ** s.decimals };
  }
}

/** Apply calibration to one value (tests, docs, the profile check). */
export function calibrate(steps: readonly CalStep[], x: number): number {
  const io = new Float64Array(2);
  io[VALUE] = x;
  new Calibration(steps).step(io);
  return io[VALUE] as number;
}

/**
 * The range a channel can take after calibration, from the part's range (ChannelSpec min/max).
 * Used by the profile check that refuses a percent delta on a channel that can read 0.
 */
export function calibratedRange(steps: readonly CalStep[], lo: number, hi: number): readonly [number, number] {
  let a = lo;
  let b = hi;
  for (const s of steps) {
    switch (s.op) {
      case 'offset':
        a += s.value;
        b += s.value;
        break;
      case 'multiply':
        [a, b] = s.value >= 0 ? [a * s.value, b * s.value] : [b * s.value, a * s.value];
        break;
      case 'polynomial':
        [a, b] = polyRange(s.poly, a, b);
        break;
      case 'clamp':
        a = Math.min(Math.max(a, s.min), s.max);
        b = Math.min(Math.max(b, s.min), s.max);
        break;
      case 'round': {
        const f = 10 ** s.decimals;
        a = Math.round(a * f) / f;
        b = Math.round(b * f) / f;
        break;
      }
    }
  }
  return [a, b];
}
