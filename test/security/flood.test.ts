import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFlood } from '../../bench/security.js';
import { Mosquitto } from '../helpers/mosquitto.js';

/**
 * The flood: a separate process publishes hostile messages on a sampling box's command topics
 * (oversize, 16,000-deep JSON, bad signatures, replays of an accepted command, in turn) with the
 * rate limits lifted, so every message is parsed and verified in the uplink worker. Counts must
 * be exact, sampling must go on, memory must stay bounded. Size from EDGEFW_FLOOD_MESSAGES
 * (default 10,000); the lateness and RSS figures themselves are in `npm run bench security`.
 */
const HOSTILE = Number(process.env.EDGEFW_FLOOD_MESSAGES ?? 10_000);

describe('command flood while a profile samples', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await Mosquitto.start();
  });
  afterAll(async () => {
    await broker.stop();
  });

  it(`refuses all ${HOSTILE} hostile messages, counted exactly by reason, while sampling goes on`, async () => {
    expect(HOSTILE % 4).toBe(0);
    const r = await runFlood(broker.url, HOSTILE, 3);
    console.log(`flood: ${JSON.stringify({ quiet: r.quiet, flood: r.flood, publishMs: r.publishMs })}`);
    const quarter = HOSTILE / 4;
    expect(r.counters).toEqual({
      received: HOSTILE + 1,
      accepted: 1,
      refused: { oversize: quarter, malformed: quarter, 'bad-signature': quarter, replayed: quarter },
    });
    // sampling went on: ticks ran through the whole flood, few skipped (counts, not wall time;
    // the bound leaves room for a loaded CI machine, where the quiet window skips some too)
    expect(r.flood.runs).toBeGreaterThan(0);
    expect(r.flood.missed + r.flood.overruns).toBeLessThanOrEqual(Math.max(10, r.flood.runs * 0.15));
    // memory: the flood's peak stays within a bound of the steady state before it
    expect(r.flood.rssPeakMiB - r.quiet.rssMiB).toBeLessThan(16);
  }, 180_000);
});
