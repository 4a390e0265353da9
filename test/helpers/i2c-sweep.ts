import type { DeviceDefinition } from '../../drivers/types.js';
import { i2cRig, readToEnd } from './drivers.js';

/** Where across each channel's range the contract sweep sets values: both ends and between. */
export const SWEEP_FRACTIONS = [0, 0.1, 0.3, 0.5, 0.7, 0.9, 1] as const;

export interface SweepMiss {
  readonly channel: string;
  readonly set: number;
  readonly read: number | undefined;
  readonly tolerance: number;
}

/**
 * The contract sweep: set every channel to each fraction of its simulator range (the ends
 * included), read through the real driver, and list every reading off by more than the
 * simulator's tolerance. Derived channels (INA219 power) are checked, not set.
 */
export async function sweepI2c(def: DeviceDefinition): Promise<{ misses: SweepMiss[]; violations: readonly string[]; checked: number }> {
  const { sim, driver, clock } = i2cRig(def);
  await driver.init();
  const misses: SweepMiss[] = [];
  let checked = 0;
  for (const f of SWEEP_FRACTIONS) {
    const expected = new Map<string, number>();
    for (const ch of sim.channels) {
      const r = sim.sampleRange(ch);
      if (r.derived) continue;
      const v = f === 1 ? r.max : r.min + (r.max - r.min) * f;
      sim.setChannel(ch, v);
      expected.set(ch, v);
    }
    for (const ch of sim.channels) {
      const derive = sim.sampleRange(ch).derived;
      if (derive) expected.set(ch, derive(expected));
    }
    clock.advance(60_000); // let slow parts (SCD4x: 5 s) produce a fresh measurement
    const values = await readToEnd(driver, clock);
    for (const [ch, v] of expected) {
      const got = values.find((x) => x.channel === ch)?.value;
      const tolerance = sim.sampleRange(ch).tolerance;
      checked++;
      if (got === undefined || !(Math.abs(got - v) <= tolerance)) misses.push({ channel: ch, set: v, read: got, tolerance });
    }
  }
  return { misses, violations: sim.violations, checked };
}
