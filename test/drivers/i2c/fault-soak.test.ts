/**
 * Random fault sequences against every I²C driver and its simulator (fast-check). Whatever the
 * wire does — EREMOTEIO, EIO, NACK, an unplugged part, noise — a driver only ever throws a
 * DeviceError, only ever returns finite values on its own channels, never makes its simulator
 * record a protocol violation (judged on runs without noise), and reads correctly again once
 * the wire is clean (after at most the re-init the device runner does).
 *
 * Size from the environment: EDGEFW_SOAK_RUNS runs per device type (default 20 in `npm test`;
 * `npm run soak:i2c` runs 2000).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeviceError } from '../../../drivers/errors.js';
import { DEVICE_TYPES } from '../../../drivers/registry.js';
import { i2cRig, readToEnd } from '../../helpers/drivers.js';

const RUNS = Number(process.env.EDGEFW_SOAK_RUNS ?? 20);

type Action =
  | { readonly kind: 'read' }
  | { readonly kind: 'fail'; readonly errno: string; readonly op: 'read' | 'write' | 'any'; readonly times: number }
  | { readonly kind: 'unplug' }
  | { readonly kind: 'replug' }
  | { readonly kind: 'noise'; readonly on: boolean }
  | { readonly kind: 'idle'; readonly ms: number }
  | { readonly kind: 'init' }
  | { readonly kind: 'reset' };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 5, arbitrary: fc.constant({ kind: 'read' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('fail' as const),
      errno: fc.constantFrom('EREMOTEIO', 'EIO', 'ENXIO', 'ETIMEDOUT'),
      op: fc.constantFrom('read' as const, 'write' as const, 'any' as const),
      times: fc.integer({ min: 1, max: 4 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'unplug' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'replug' as const }) },
  { weight: 1, arbitrary: fc.boolean().map((on) => ({ kind: 'noise' as const, on })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 12_000 }).map((ms) => ({ kind: 'idle' as const, ms })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'init' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reset' as const }) },
);

describe.each(DEVICE_TYPES.filter((d) => d.i2c).map((d) => [d.type, d] as const))('I²C fault soak: %s', (_type, def) => {
  it(`survives ${RUNS} random fault sequences and recovers when the wire is clean`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 5, maxLength: 40 }), async (actions) => {
        const { sim, driver, clock } = i2cRig(def);
        const names = new Set(driver.channels.map((c) => c.name));
        const attempt = async (op: () => Promise<unknown>): Promise<void> => {
          try {
            const values = await op();
            if (Array.isArray(values)) {
              for (const v of values as { channel: string; value: number }[]) {
                expect(names.has(v.channel)).toBe(true);
                expect(Number.isFinite(v.value)).toBe(true);
              }
            }
          } catch (e) {
            if (!(e instanceof DeviceError)) throw e;
          }
        };
        await attempt(() => driver.init());
        for (const a of actions) {
          if (a.kind === 'read') await attempt(() => readToEnd(driver, clock));
          else if (a.kind === 'fail') sim.faults.failNext({ op: a.op, error: a.errno, times: a.times });
          else if (a.kind === 'unplug') sim.faults.unplug();
          else if (a.kind === 'replug') sim.faults.replug();
          else if (a.kind === 'noise') sim.faults.garbage = a.on;
          else if (a.kind === 'idle') clock.advance(a.ms);
          else if (a.kind === 'reset') await attempt(async () => driver.reset?.());
          else await attempt(() => driver.init());
        }
        // the wire is clean again: what the device runner does — re-init, then sample
        sim.faults.clear();
        clock.advance(60_000);
        await driver.init();
        clock.advance(1000);
        let values = await readToEnd(driver, clock).catch((e: unknown) => e);
        if (values instanceof DeviceError && values.retryable) values = await readToEnd(driver, clock);
        expect(Array.isArray(values), String(values)).toBe(true);
        expect((values as unknown[]).length).toBe(driver.channels.length);
        // noise can forge a word whose CRC happens to match (1 in 256): an SCD4x driver that
        // then believes "data ready" is doing the right thing with wrong data, so protocol
        // violations are judged only on runs without noise
        if (!actions.some((a) => a.kind === 'noise' && a.on)) expect(sim.violations.join('; ')).toBe('');
      }),
      { numRuns: RUNS },
    );
  }, 120_000);
});
