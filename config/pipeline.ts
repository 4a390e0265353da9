import { z } from 'zod';
import { DURATION_PATTERN, EDITOR_SCHEMA, duration } from '../drivers/schema-parts.js';
import { calibratedRange } from '../firmware/pipeline/calibration.js';
import { type CalPoint, type Poly, fitPolynomial, polyFromCoefficients } from '../firmware/pipeline/fit.js';

/**
 * Profile keys of the signal pipeline, per channel (`devices[i].channels.<name>`):
 *
 *   calibration: [ {offset: -0.4}, {round: 1} ]          applied in order, in the channel's unit
 *   filters:     [ {skip_initial: 30s}, {sliding_average: {window: 30, send_every: 30}} ]
 *   report:      { delta: 5%, delta_floor: 1, heartbeat: 5m }   or   { period: 60s }
 *
 * Each list item is a mapping with exactly one key (the step's name), as in ESPHome. The parsed
 * form below is what firmware/pipeline/ compiles; docs/pipeline.md describes every step.
 */

// ── calibration ────────────────────────────────────────────────────────────────────────────

export type CalStep =
  | { readonly op: 'offset'; readonly value: number }
  | { readonly op: 'multiply'; readonly value: number }
  | { readonly op: 'polynomial'; readonly name: 'calibrate_linear' | 'calibrate_polynomial'; readonly poly: Poly }
  | { readonly op: 'clamp'; readonly min: number; readonly max: number }
  | { readonly op: 'round'; readonly decimals: number };

const finite = (what: string): z.ZodNumber => z.number({ error: (iss) => `${what}: ${JSON.stringify(iss.input)} is not a number` }).refine(Number.isFinite, { error: `${what} must be a finite number` }) as unknown as z.ZodNumber;

const calPoint = z.strictObject({
  measured: finite('measured').meta({ description: 'what the sensor read, channel unit' }),
  actual: finite('actual').meta({ description: 'what the reference instrument read, channel unit' }),
});

const CAL_STEPS = ['offset', 'multiply', 'calibrate_linear', 'calibrate_polynomial', 'clamp', 'round'] as const;

const calShape = {
  offset: finite('offset').optional().meta({ description: 'add this, in the channel unit (e.g. -0.4 °C)' }),
  multiply: finite('multiply')
    .refine((v) => v !== 0, { error: '0 would make every value 0' })
    .optional()
    .meta({ description: 'multiply by this factor (dimensionless)' }),
  calibrate_linear: z
    .array(calPoint)
    .min(2, { error: 'calibrate_linear needs at least 2 reference points ({measured, actual})' })
    .optional()
    .meta({ description: 'straight line through ≥2 reference points by least squares, channel unit' }),
  calibrate_polynomial: z
    .strictObject({
      degree: z.number().int().min(1).max(5).optional().meta({ description: 'degree of the least-squares fit through points' }),
      points: z.array(calPoint).optional(),
      coefficients: z.array(finite('coefficient')).min(1).max(6).optional().meta({ description: 'c0 + c1·x + c2·x² …, lowest order first' }),
    })
    .optional()
    .meta({ description: 'polynomial: fitted through points (degree + points) or given (coefficients)' }),
  clamp: z
    .strictObject({ min: finite('clamp.min').optional(), max: finite('clamp.max').optional() })
    .optional()
    .meta({ description: 'limit to min..max, channel unit; NaN stays NaN' }),
  round: z.number().int().min(-6).max(10).optional().meta({ description: 'decimal places to keep (2 → 0.01; -1 → tens)' }),
};

const calStep = z
  .looseObject(calShape)
  .transform((v, ctx): CalStep => {
    const key = oneKey(v, CAL_STEPS, 'calibration step', ctx);
    if (!key) return z.NEVER;
    switch (key) {
      case 'offset':
        return { op: 'offset', value: v.offset as number };
      case 'multiply':
        return { op: 'multiply', value: v.multiply as number };
      case 'calibrate_linear': {
        const fit = fitPolynomial(v.calibrate_linear as CalPoint[], 1);
        if (typeof fit === 'string') return fail(ctx, ['calibrate_linear'], fit);
        return { op: 'polynomial', name: 'calibrate_linear', poly: fit };
      }
      case 'calibrate_polynomial': {
        const p = v.calibrate_polynomial as { degree?: number; points?: CalPoint[]; coefficients?: number[] };
        if (p.coefficients && (p.points || p.degree !== undefined)) {
          return fail(ctx, ['calibrate_polynomial'], 'give either coefficients, or degree and points — not both');
        }
        if (p.coefficients) return { op: 'polynomial', name: 'calibrate_polynomial', poly: polyFromCoefficients(p.coefficients) };
        if (!p.points || p.degree === undefined) return fail(ctx, ['calibrate_polynomial'], 'needs degree and points (or coefficients)');
        const fit = fitPolynomial(p.points, p.degree);
        if (typeof fit === 'string') return fail(ctx, ['calibrate_polynomial', 'points'], fit);
        return { op: 'polynomial', name: 'calibrate_polynomial', poly: fit };
      }
      case 'clamp': {
        const c = v.clamp as { min?: number; max?: number };
        if (c.min === undefined && c.max === undefined) return fail(ctx, ['clamp'], 'give min, max or both');
        const min = c.min ?? Number.NEGATIVE_INFINITY;
        const max = c.max ?? Number.POSITIVE_INFINITY;
        if (min > max) return fail(ctx, ['clamp'], `min ${min} is above max ${max}`);
        return { op: 'clamp', min, max };
      }
      case 'round':
        return { op: 'round', decimals: v.round as number };
    }
  });

// ── filters ────────────────────────────────────────────────────────────────────────────────

export type WindowKind = 'median' | 'min' | 'max' | 'sliding_average';

export type FilterStep =
  | { readonly kind: WindowKind; readonly window: number; readonly sendEvery: number }
  | { readonly kind: 'exponential_average'; readonly alpha: number; readonly sendEvery: number }
  | { readonly kind: 'throttle' | 'throttle_average' | 'debounce'; readonly ms: number }
  | { readonly kind: 'skip_initial'; readonly samples: number; readonly ms: number }
  | { readonly kind: 'filter_out'; readonly values: readonly number[] };

/** The largest window a profile may ask for (a ring of 8 bytes per slot: 80 kB). */
export const MAX_WINDOW = 10_000;

const sendEvery = z
  .number()
  .int({ error: (iss) => `${JSON.stringify(iss.input)} is not a whole number of samples` })
  .min(1, { error: (iss) => `${JSON.stringify(iss.input)} — send at most once per sample: send_every is at least 1` })
  .default(1)
  .meta({ description: 'emit once every N samples (1 = every sample)' });

const windowOptions = z
  .strictObject({
    window: z
      .number()
      .int({ error: (iss) => `${JSON.stringify(iss.input)} is not a whole number of samples` })
      .min(1, { error: (iss) => `${JSON.stringify(iss.input)} — a window holds at least 1 sample` })
      .max(MAX_WINDOW, { error: (iss) => `${JSON.stringify(iss.input)} is larger than ${MAX_WINDOW} samples` })
      .meta({ description: 'number of most recent samples the filter looks at' }),
    send_every: sendEvery,
  })
  .superRefine((o, ctx) => {
    if (o.window >= 1 && o.send_every > o.window) {
      ctx.addIssue({ code: 'custom', path: ['send_every'], message: `${o.send_every} is larger than window ${o.window}: ${o.send_every - o.window} of every ${o.send_every} samples would never count` });
    }
  });

const period = (what: string): z.ZodType<number> => duration(what, { min: 1, max: 7 * 86_400_000 });

const FILTERS = ['median', 'min', 'max', 'sliding_average', 'exponential_average', 'throttle', 'throttle_average', 'debounce', 'skip_initial', 'filter_out'] as const;

const filterShape = {
  median: windowOptions.optional().meta({ description: 'median of the last `window` samples' }),
  min: windowOptions.optional().meta({ description: 'lowest of the last `window` samples' }),
  max: windowOptions.optional().meta({ description: 'highest of the last `window` samples' }),
  sliding_average: windowOptions.optional().meta({ description: 'mean of the last `window` samples' }),
  exponential_average: z
    .strictObject({
      alpha: z
        .number()
        .gt(0, { error: (iss) => `${JSON.stringify(iss.input)} — alpha is the weight of the newest sample, above 0 and at most 1` })
        .max(1, { error: (iss) => `${JSON.stringify(iss.input)} — alpha is the weight of the newest sample, above 0 and at most 1` })
        .meta({ description: 'weight of the newest sample, 0 < alpha ≤ 1' }),
      send_every: sendEvery,
    })
    .optional(),
  throttle: period('throttle').optional().meta({ description: 'pass at most one value per period' }),
  throttle_average: period('throttle_average').optional().meta({ description: 'pass the mean of each period' }),
  debounce: period('debounce').optional().meta({ description: 'pass a value only once it has held unchanged this long' }),
  skip_initial: z
    .union([z.number(), z.string()])
    .optional()
    .meta({
      description: 'warm-up: a number of samples (5) or a time ("30s") to drop after start',
      [EDITOR_SCHEMA]: { anyOf: [{ type: 'integer', minimum: 1 }, { type: 'string', pattern: DURATION_PATTERN }] },
    }),
  filter_out: z
    .union([finite('filter_out'), z.array(finite('filter_out')).min(1)])
    .optional()
    .meta({ description: 'drop this sentinel value (or any of a list), compared after calibration' }),
};

const skipTime = duration('skip_initial', { min: 1, max: 86_400_000 });

const filterStep = z
  .looseObject(filterShape)
  // editors: exactly one known filter per list item, as oneKey() below demands
  .meta({ [EDITOR_SCHEMA]: { $merge: { additionalProperties: false, minProperties: 1, maxProperties: 1 } } })
  .transform((v, ctx): FilterStep => {
  const key = oneKey(v, FILTERS, 'filter', ctx);
  if (!key) return z.NEVER;
  switch (key) {
    case 'median':
    case 'min':
    case 'max':
    case 'sliding_average': {
      const o = v[key] as { window: number; send_every: number };
      return { kind: key, window: o.window, sendEvery: o.send_every };
    }
    case 'exponential_average': {
      const o = v.exponential_average as { alpha: number; send_every: number };
      return { kind: key, alpha: o.alpha, sendEvery: o.send_every };
    }
    case 'throttle':
    case 'throttle_average':
    case 'debounce':
      return { kind: key, ms: v[key] as number };
    case 'skip_initial': {
      const s = v.skip_initial as number | string;
      if (typeof s === 'number') {
        if (!Number.isInteger(s) || s < 1) return fail(ctx, ['skip_initial'], `${s} — give a whole number of samples ≥ 1, or a time such as "30s"`);
        return { kind: key, samples: s, ms: 0 };
      }
      const r = skipTime.safeParse(s);
      if (!r.success) return fail(ctx, ['skip_initial'], r.error.issues[0]?.message ?? 'not a duration');
      return { kind: key, samples: 0, ms: r.data };
    }
    case 'filter_out': {
      const f = v.filter_out as number | number[];
      return { kind: key, values: typeof f === 'number' ? [f] : f };
    }
  }
});

// ── report ─────────────────────────────────────────────────────────────────────────────────

export type Stat = 'mean' | 'min' | 'max';

export type ReportConfig =
  | { readonly mode: 'every' }
  | { readonly mode: 'delta'; readonly absolute: number; readonly percent: number; readonly floor: number; readonly heartbeatMs: number }
  | { readonly mode: 'period'; readonly periodMs: number; readonly stats: readonly Stat[] };

const reportSchema = z
  .strictObject({
    delta: z
      .union([z.number(), z.string()])
      .optional()
      .meta({
        description: 'send when the value moved this much since the last send: 0.5 (channel unit) or "5%" (of the last sent value)',
        [EDITOR_SCHEMA]: { anyOf: [{ type: 'number', exclusiveMinimum: 0 }, { type: 'string', pattern: '^\\s*\\d+(\\.\\d+)?\\s*%\\s*$' }] },
      }),
    delta_floor: z.number().gt(0).optional().meta({ description: 'with a % delta: the smallest change that counts, channel unit (needed when the channel can read 0)' }),
    heartbeat: period('heartbeat').optional().meta({ description: 'with delta: send the latest value at least this often even without change' }),
    period: period('period').optional().meta({ description: 'report mean/min/max of each period instead of single samples' }),
    stats: z.array(z.enum(['mean', 'min', 'max'])).min(1).optional().meta({ description: 'with period: which statistics (default mean, min, max)' }),
  })
  .transform((r, ctx): ReportConfig => {
    if (r.period !== undefined) {
      for (const k of ['delta', 'delta_floor', 'heartbeat'] as const) {
        if (r[k] !== undefined) return fail(ctx, [k], `${k} and period exclude each other: a period report already sends once per period`);
      }
      return { mode: 'period', periodMs: r.period, stats: r.stats ?? ['mean', 'min', 'max'] };
    }
    if (r.stats) return fail(ctx, ['stats'], 'stats need a period (e.g. period: 60s)');
    if (r.delta === undefined) {
      if (r.heartbeat !== undefined) return fail(ctx, ['heartbeat'], 'a heartbeat needs a delta: without one every value is sent anyway');
      if (r.delta_floor !== undefined) return fail(ctx, ['delta_floor'], 'delta_floor needs a percent delta (e.g. delta: 5%)');
      return { mode: 'every' };
    }
    let absolute = 0;
    let percent = 0;
    if (typeof r.delta === 'number') {
      if (!(r.delta > 0) || !Number.isFinite(r.delta)) return fail(ctx, ['delta'], `${r.delta} — a delta is a change above 0 (channel unit), or a percentage such as "5%"`);
      absolute = r.delta;
    } else {
      const m = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(r.delta);
      const pct = m ? Number(m[1]) : Number.NaN;
      if (!(pct > 0)) return fail(ctx, ['delta'], `${JSON.stringify(r.delta)} — write a change in the channel unit (0.5) or a percentage above 0 ("5%")`);
      percent = pct;
    }
    if (r.delta_floor !== undefined && percent === 0) return fail(ctx, ['delta_floor'], 'delta_floor only applies to a percent delta');
    return { mode: 'delta', absolute, percent, floor: r.delta_floor ?? 0, heartbeatMs: r.heartbeat ?? 0 };
  });

/** Spread into config/channel.ts: the pipeline's keys of a channel entry. */
export const pipelineChannelKeys = {
  calibration: z.array(calStep).optional().meta({ description: 'calibration steps, applied in order (docs/pipeline.md)' }),
  filters: z.array(filterStep).optional().meta({ description: 'filters over the calibrated values, applied in order (docs/pipeline.md)' }),
  report: reportSchema.optional().meta({ description: 'when a value leaves the box: every value, on change (delta + heartbeat) or per period (docs/pipeline.md)' }),
  decimals: z
    .number()
    .int({ error: 'decimals is a whole number of decimal places (2 → 0.01; -1 → tens)' })
    .min(-6)
    .max(10)
    .optional()
    .meta({ description: "decimal places of what leaves the box, after filters and aggregates (default: the calibration's final round, else the part's resolution)" }),
};

export interface PipelineChannelConfig {
  readonly calibration?: readonly CalStep[];
  readonly filters?: readonly FilterStep[];
  readonly report?: ReportConfig;
  readonly decimals?: number;
}


// ── helpers ────────────────────────────────────────────────────────────────────────────────

function oneKey<K extends string>(v: Record<string, unknown>, known: readonly K[], what: string, ctx: z.RefinementCtx): K | undefined {
  const keys = Object.keys(v).filter((k) => v[k] !== undefined);
  const unknown = keys.filter((k) => !(known as readonly string[]).includes(k));
  if (unknown.length > 0) {
    ctx.addIssue({ code: 'custom', message: `${unknown.map((k) => JSON.stringify(k)).join(', ')} is not a ${what} (${known.join(', ')})` });
    return undefined;
  }
  if (keys.length !== 1) {
    ctx.addIssue({ code: 'custom', message: keys.length === 0 ? `empty ${what}: write one of ${known.join(', ')}` : `one ${what} per list item (got ${keys.join(' and ')}); put each on its own "- " line` });
    return undefined;
  }
  return keys[0] as K;
}

function fail(ctx: z.RefinementCtx, path: readonly (string | number)[], message: string): never {
  ctx.addIssue({ code: 'custom', path: [...path], message });
  return z.NEVER as never;
}

// ── checks that need the driver's channel range and the device's interval ─────────────────

export interface PipelineProblem {
  /** path below the channel entry, e.g. ['report', 'delta'] */
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * Chains that parse but cannot make sense for this channel:
 * - a percent delta on a channel that can read 0 (after calibration): 5 % of 0 is 0, so every
 *   flicker around zero would be "a change" — unless delta_floor says what counts near zero;
 * - an absolute delta larger than the channel's whole range: no change could ever reach it;
 * - a report period shorter than the sampling interval: most windows would be empty.
 */
export function pipelineProblems(cfg: PipelineChannelConfig, spec: { readonly name: string; readonly unit: string; readonly min: number; readonly max: number }, intervalMs: number): PipelineProblem[] {
  const problems: PipelineProblem[] = [];
  const r = cfg.report;
  if (r?.mode === 'delta' && r.percent > 0 && r.floor === 0) {
    const [lo, hi] = calibratedRange(cfg.calibration ?? [], spec.min, spec.max);
    if (lo <= 0 && hi >= 0) {
      const after = cfg.calibration?.length ? ` (${fmt(lo)}..${fmt(hi)} after calibration)` : '';
      problems.push({
        path: ['report', 'delta'],
        message: `${r.percent}% of a value that can be 0 means nothing: ${spec.name} reads ${fmt(spec.min)}..${fmt(spec.max)} ${spec.unit}${after}. Use an absolute delta in ${spec.unit}, or add delta_floor (the smallest change in ${spec.unit} that counts near 0)`,
      });
    }
  }
  if (r?.mode === 'delta' && r.absolute > 0) {
    const [lo, hi] = calibratedRange(cfg.calibration ?? [], spec.min, spec.max);
    if (r.absolute > hi - lo) {
      problems.push({
        path: ['report', 'delta'],
        message: `${r.absolute} ${spec.unit} is more than the whole range of ${spec.name} (${fmt(lo)}..${fmt(hi)} ${spec.unit}): no change could ever reach it`,
      });
    }
  }
  if (r?.mode === 'period' && r.periodMs < intervalMs) {
    problems.push({ path: ['report', 'period'], message: `${r.periodMs} ms is shorter than the device's sampling interval (${intervalMs} ms): most windows would be empty` });
  }
  return problems;
}

const fmt = (v: number): string => (Number.isInteger(v) ? String(v) : v.toPrecision(4));
