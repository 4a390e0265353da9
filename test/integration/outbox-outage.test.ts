import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseProfile } from '../../config/load.js';
import { Runtime } from '../../firmware/runtime.js';
import { silentLog } from '../helpers/drivers.js';
import { Mosquitto, NetworkLink, Recorder } from '../helpers/mosquitto.js';
import { dedupe, missing, readOutbox, receivedSamples } from '../helpers/outbox.js';
import { tempDir } from '../helpers/scratch.js';

/**
 * A network outage at 10 Hz: the link between box and broker is cut (the broker and the
 * platform's subscriber stay up), the box keeps sampling into its outbox, the link returns.
 * Zero committed readings lost, per-device order kept, live readings first and the backlog
 * drained behind them, flagged historical. Outage length: EDGEFW_OUTAGE_S (default 6 s in
 * `npm test`; `npm run test:long` runs 180 s).
 */
const OUTAGE_S = Number(process.env.EDGEFW_OUTAGE_S ?? 6);
const DRAIN_RATE = 40; // readings/s: slow, so live and backlog visibly interleave

describe('broker unreachable at 10 Hz → outbox → drained behind live data', () => {
  let broker: Mosquitto;
  let link: NetworkLink;
  let dir: string;

  beforeAll(async () => {
    broker = await Mosquitto.start();
    link = await NetworkLink.open(broker.port);
    dir = tempDir('outage');
  });

  afterAll(async () => {
    await link.cut();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`loses nothing committed over a ${OUTAGE_S} s outage and sends live readings before the backlog`, async () => {
    const profile = parseProfile({
      box: { id: 'outage-box' },
      uplink: { url: link.url, reconnect: { min: 200, max: 1000 }, batch: { maxDelay: 100, maxSamples: 20 }, outbox: { drainRate: DRAIN_RATE, commitInterval: 100 } },
      clock: { assumeTrusted: true },
      storage: { dir },
      buses: { i2c: [{ name: 'i2c1', simulated: true }] },
      devices: [
        { id: 'env', type: 'bme280', bus: 'i2c1', address: 0x76, interval: 100 },
        { id: 'roof', type: 'bme280', bus: 'i2c1', address: 0x77, interval: 100 },
      ],
    });
    const rec = await Recorder.connect(broker.url, 'edgefw/outage-box/telemetry');
    const rt = new Runtime({ profile, log: silentLog });
    await rt.start();
    let stopped = false;
    try {
      await rec.waitFor('live telemetry', () => receivedSamples(rec.messages).length >= 20);
      await link.cut();
      const cutAt = Date.now();
      await new Promise((r) => setTimeout(r, OUTAGE_S * 1000));
      expect(rt.status().uplink.connected).toBe(false);
      const backlog = rt.status().uplink.pending;
      expect(backlog).toBeGreaterThan(OUTAGE_S * 20 * 0.8);
      const mark = rec.messages.length;
      await link.restore();
      const restoredAt = Date.now();
      // the backlog drains at DRAIN_RATE; wait until it is gone
      await rec.waitFor('backlog drained', () => rt.status().uplink.pending < 10 && rt.status().uplink.connected, (backlog / DRAIN_RATE) * 1000 + 15_000);

      const after = receivedSamples(rec.messages.slice(mark));
      const hist = after.filter((s) => s.hist);
      const live = after.filter((s) => !s.hist);
      expect(hist.length).toBeGreaterThan(backlog * 0.8);
      // the backlog stays batched once the drain budget is spent: full messages (20 readings, the
      // profile's batch.maxSamples) but the last one
      const perMsg = new Map<number, number>();
      for (const s of hist) perMsg.set(s.msg, (perMsg.get(s.msg) ?? 0) + 1);
      const sizes = [...perMsg.values()];
      console.info(`backlog messages at ${DRAIN_RATE} readings/s: ${sizes.length}, sizes min ${Math.min(...sizes)} / max ${Math.max(...sizes)}, ${sizes.filter((n) => n < 20).length} short`);
      expect(sizes.slice(0, -1).every((n) => n === 20)).toBe(true);
      // live first: a message of current readings arrived before the last backlog message …
      const firstLive = live[0];
      const lastHist = hist.at(-1);
      expect(firstLive && lastHist && firstLive.msg < lastHist.msg).toBe(true);
      // … and it carried readings from around the reconnect, not from the outage
      expect(firstLive?.t ?? 0).toBeGreaterThan(restoredAt - 1500);
      // backlog = what was stored when the box reconnected: read before the first live reading
      // (the reconnect itself comes up to a backoff step after the link returns)
      const firstLiveT = Math.min(...live.map((s) => s.t));
      expect(Math.max(...hist.map((s) => s.t))).toBeLessThanOrEqual(firstLiveT + 50);
      expect(hist.some((s) => s.t < cutAt + 1000)).toBe(true);

      // an outbox that keeps up holds no more log than one checkpoint's worth (128 KiB) and a commit
      const wal = rt.status().uplink.outbox?.walBytes ?? -1;
      console.info(`WAL after the backlog drained: ${wal} bytes`);
      expect(wal).toBeGreaterThanOrEqual(0);
      expect(wal).toBeLessThan(192 * 1024);
      await rt.stop();
      stopped = true;
      // order per device within each lane, duplicates removed
      for (const lane of [live, hist]) {
        const firsts = dedupe(lane);
        for (const dev of ['env', 'roof']) {
          const seen: number[] = [];
          const have = new Set<number>();
          for (const s of lane) if (s.dev === dev && !have.has(s.seq)) (have.add(s.seq), seen.push(s.seq));
          expect(seen).toEqual([...(firsts.seqs.get(dev) ?? [])]);
        }
      }
      // zero committed readings lost: received ∪ still stored = every sequence ever issued
      const file = readOutbox(join(dir, 'outbox.db'));
      expect(file.integrity).toBe('ok');
      const all = dedupe(receivedSamples(rec.messages));
      expect(all.conflicts).toEqual([]);
      for (const dev of ['env', 'roof']) {
        const got = [...(all.seqs.get(dev) ?? []), ...(file.stored[dev] ?? [])].sort((a, b) => a - b);
        expect(missing(got, file.next[dev] ?? 0)).toEqual([]);
        expect(file.next[dev]).toBeGreaterThan(OUTAGE_S * 10);
      }
      expect(rt.status().uplink.dropped).toBe(0);
    } finally {
      if (!stopped) await rt.stop();
      await rec.close();
    }
    // the outage, then its backlog (20 readings a second of it) drained at DRAIN_RATE
  }, 60_000 + OUTAGE_S * 1000 * (1 + 20 / DRAIN_RATE));
});
