import { seedSim } from '../../drivers/sim/random.js';

/**
 * Seeded randomness for tests: every random schedule (kill instants, outage lengths) comes from
 * here, its seed printed so a failure can be replayed with EDGEFW_SEED=<seed>; the simulators'
 * injected garbage in the same process is reseeded with it (drivers/sim/random.ts).
 */
export function seededRandom(what: string): () => number {
  const fromEnv = process.env.EDGEFW_SEED;
  const seed = fromEnv !== undefined && /^\d+$/.test(fromEnv) ? Number(fromEnv) : Math.floor(Math.random() * 2 ** 32);
  // the simulators in this process draw from the same seed, so one number replays both
  seedSim(seed);
  console.log(`${what}: random seed ${seed} (replay with EDGEFW_SEED=${seed})`);
  // mulberry32: small, fast, good enough for schedules
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
