import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CalStep, FilterStep, ReportConfig } from '../../config/pipeline.js';
import { Scheduler } from '../../firmware/loop/scheduler.js';
import { FakeTimers } from '../../firmware/loop/timers.js';
import { Chain } from '../../firmware/pipeline/chain.js';
import { SignalPipeline } from '../../firmware/pipeline/pipeline.js';
import type { Sample } from '../../firmware/reading.js';
import { fakeClock } from './helpers.js';

const anyNumber = fc.oneof(
  fc.double(), // includes NaN, ±Infinity, -0, subnormals
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 65535, 0),
  fc.double({ min: -1e6, max: 1e6, noNaN: true }),
);
const anyTime = fc.oneof(fc.double({ min: 0, max: 1e7, noNaN: true }), fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -1));
const window = fc.integer({ min: 1, max: 20 });
const ms = fc.integer({ min: 1, max: 60_000 });

const filter: fc.Arbitrary<FilterStep> = fc.oneof(
  fc
    .tuple(fc.constantFrom('median', 'min', 'max', 'sliding_average' as const), window, window)
    .map(([kind, w, e]) => ({ kind, window: w, sendEvery: Math.min(e, w) }) as FilterStep),
  fc.tuple(fc.double({ min: 0.001, max: 1, noNaN: true }), window).map(([alpha, sendEvery]) => ({ kind: 'exponential_average', alpha, sendEvery }) as FilterStep),
  fc.tuple(fc.constantFrom('throttle', 'throttle_average', 'debounce' as const), ms).map(([kind, m]) => ({ kind, ms: m }) as FilterStep),
  fc.oneof(window.map((n) => ({ kind: 'skip_initial', samples: n, ms: 0 }) as FilterStep), ms.map((m) => ({ kind: 'skip_initial', samples: 0, ms: m }) as FilterStep)),
  fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 3 }).map((values) => ({ kind: 'filter_out', values }) as FilterStep),
);

const finite = fc.double({ min: -1e3, max: 1e3, noNaN: true });
const calStep: fc.Arbitrary<CalStep> = fc.oneof(
  finite.map((value) => ({ op: 'offset', value }) as CalStep),
  finite.filter((v) => v !== 0).map((value) => ({ op: 'multiply', value }) as CalStep),
  fc.array(finite, { minLength: 1, maxLength: 4 }).map((coefficients) => ({ op: 'polynomial', name: 'calibrate_polynomial', poly: { center: 0, scale: 1, coefficients } }) as CalStep),
  fc.tuple(finite, finite).map(([a, b]) => ({ op: 'clamp', min: Math.min(a, b), max: Math.max(a, b) }) as CalStep),
  fc.integer({ min: -3, max: 6 }).map((decimals) => ({ op: 'round', decimals }) as CalStep),
);

const report: fc.Arbitrary<ReportConfig> = fc.oneof(
  fc.constant({ mode: 'every' } as ReportConfig),
  fc.record({ absolute: fc.double({ min: 0.001, max: 100, noNaN: true }), heartbeatMs: fc.constantFrom(0, 5000) }).map((r) => ({ mode: 'delta', percent: 0, floor: 0, ...r }) as ReportConfig),
  fc.record({ percent: fc.double({ min: 0.1, max: 50, noNaN: true }), floor: fc.constantFrom(0, 1) }).map((r) => ({ mode: 'delta', absolute: 0, heartbeatMs: 3000, ...r }) as ReportConfig),
  fc.constant({ mode: 'period', periodMs: 5000, stats: ['mean', 'min', 'max'] } as ReportConfig),
);

describe('property: a chain never throws, whatever comes in', () => {
  it('any calibration and filters over any finite or non-finite values and times; filters only emit finite values', () => {
    fc.assert(
      fc.property(fc.array(calStep, { maxLength: 3 }), fc.array(filter, { minLength: 1, maxLength: 5 }), fc.array(fc.tuple(anyNumber, anyTime), { maxLength: 60 }), (calibration, filters, input) => {
        const chain = new Chain({ calibration, filters });
        for (const [v, t] of input) {
          if (chain.push(v, t)) expect(Number.isFinite(chain.value)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('averaging, median, min and max filters never leave the range of the finite values that went in', () => {
    const smoothing = filter.filter((f) => f.kind !== 'filter_out');
    fc.assert(
      fc.property(fc.array(smoothing, { minLength: 1, maxLength: 5 }), fc.array(fc.tuple(anyNumber, anyTime), { minLength: 1, maxLength: 60 }), (filters, input) => {
        const chain = new Chain({ filters });
        let lo = Number.POSITIVE_INFINITY;
        let hi = Number.NEGATIVE_INFINITY;
        for (const [v, t] of input) {
          if (Number.isFinite(v)) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
          }
          if (chain.push(v, t)) {
            // a mean of finite doubles can exceed them by rounding only; allow one part in 1e9
            const slack = 1e-9 * Math.max(1, Math.abs(lo), Math.abs(hi));
            expect(chain.value).toBeGreaterThanOrEqual(lo - slack);
            expect(chain.value).toBeLessThanOrEqual(hi + slack);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a whole device pipeline with any report rule never throws on a fake clock', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(filter, { maxLength: 3 }), report, fc.array(fc.tuple(anyNumber, anyNumber, fc.integer({ min: 0, max: 4000 })), { maxLength: 40 }), async (filters, rep, input) => {
        const timers = new FakeTimers();
        const scheduler = new Scheduler(timers);
        const errors: unknown[] = [];
        scheduler.onError = (_n, e) => errors.push(e);
        const clock = fakeClock(timers);
        const out: Sample[] = [];
        const p = new SignalPipeline([{ id: 'd', channels: { a: { filters, report: rep } } }], { scheduler, clock, emit: (s) => out.push(s) });
        p.start();
        for (const [a, b, step] of input) {
          p.push({ device: 'd', kind: 'sample', monoMs: timers.now(), wallMs: clock.wallMs(), timeSource: 'assumed', values: [{ channel: 'a', value: a, unit: 'u' }, { channel: 'b', value: b, unit: 'u' }] });
          await timers.advance(step);
        }
        p.stop();
        expect(errors).toEqual([]);
        for (const s of out) {
          if (s.kind === 'aggregate') expect(s.window?.count).toBeGreaterThan(0);
        }
      }),
      { numRuns: 200 },
    );
  });
});
