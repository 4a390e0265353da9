/**
 * The simulators' one source of randomness (injected garbage, which byte a corruption flips):
 * seeded, so a failing run repeats. The seed is EDGEFW_SEED when set, else 0x5eed; `simSeed()`
 * tells which (tests print it with their own random schedules, test/helpers/random.ts).
 */
const envSeed = typeof process !== 'undefined' ? process.env.EDGEFW_SEED : undefined;
let seed = envSeed !== undefined && /^\d+$/.test(envSeed) ? Number(envSeed) >>> 0 : 0x5eed;
let state = seed;

/** A number in [0, 1) from the simulators' seeded generator (mulberry32). */
export function simRandom(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** Start the sequence over from `s` (a test that wants its own). */
export function seedSim(s: number): void {
  seed = s >>> 0;
  state = seed;
}

export function simSeed(): number {
  return seed;
}
