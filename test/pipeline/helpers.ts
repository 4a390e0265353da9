import type { CalStep, FilterStep } from '../../config/pipeline.js';
import type { Clock } from '../../drivers/bus/clock.js';
import { Chain } from '../../firmware/pipeline/chain.js';
import type { FakeTimers } from '../../firmware/loop/timers.js';

/** Run [value, time] pairs through one chain; undefined where the chain held the value back. */
export function run(config: { calibration?: CalStep[]; filters?: FilterStep[] }, input: readonly (readonly [number, number])[]): (number | undefined)[] {
  const chain = new Chain(config);
  return input.map(([v, t]) => (chain.push(v, t) ? chain.value : undefined));
}

/** Values at 1 s steps from t = 0. */
export function seconds(values: readonly number[]): [number, number][] {
  return values.map((v, i) => [v, i * 1000]);
}

/** 2026-01-01T00:00:03Z: three seconds past a 10 s boundary, so a 10 s window first closes after 7 s. */
export const WALL0 = Date.UTC(2026, 0, 1, 0, 0, 3);

/** A clock that follows the fake timers: wall = WALL0 + fake time. */
export function fakeClock(timers: FakeTimers): Clock {
  return {
    monoMs: () => timers.now(),
    wallMs: () => WALL0 + timers.now(),
    timeSource: () => 'assumed',
    markTrusted: () => {},
  };
}
