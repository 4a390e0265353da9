import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseProfile } from '../../config/load.js';
import { Runtime } from '../../firmware/runtime.js';
import type { TelemetryPayload } from '../../firmware/uplink/payload.js';
import { silentLog } from '../helpers/drivers.js';
import { Mosquitto, NetworkLink, Recorder } from '../helpers/mosquitto.js';
import type { Sample } from '../../firmware/reading.js';
import { tempDir } from '../helpers/scratch.js';

/**
 * End to end: the runtime on a simulated profile publishes to a real Mosquitto started on a free
 * port; a subscriber checks topics, payload shape, units and sequences; the broker is killed
 * (-9) and restarted, and the runtime reconnects by itself.
 */
describe('runtime → real Mosquitto', () => {
  let broker: Mosquitto;
  let link: NetworkLink;
  let dir: string;

  beforeAll(async () => {
    broker = await Mosquitto.start();
    link = await NetworkLink.open(broker.port);
    dir = tempDir('e2e');
  });

  afterAll(async () => {
    await link.cut();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const profile = (): ReturnType<typeof parseProfile> =>
    parseProfile({
      box: { id: 'e2e-box' },
      // through the relay the outage test holds cut until its subscriber is back (see below)
      uplink: { url: link.url, reconnect: { min: 500, max: 1000 }, batch: { maxDelay: 50 } },
      clock: { assumeTrusted: true },
      // a fresh storage directory per test: sequences start at 0
      storage: { dir: mkdtempSync(join(dir, 'run-')) },
      buses: { i2c: [{ name: 'i2c1', simulated: true }] },
      devices: [
        { id: 'env', type: 'bme280', bus: 'i2c1', address: 0x76, interval: 100 },
        { id: 'outdoor', type: 'bme280', bus: 'i2c1', address: 0x77, interval: 200, variant: 'bmp280' },
      ],
    });

  it('publishes status, telemetry with units and increasing per-device sequences, and reconnects after a broker kill', async () => {
    const rec = await Recorder.connect(broker.url, 'edgefw/e2e-box/#');
    const produced: Sample[] = [];
    const rt = new Runtime({ profile: profile(), log: silentLog, onSample: (s) => produced.push(s) });
    // the bmp280 variant must answer with its own chip id: swap the simulator's id
    await rt.start();
    try {
      await rec.waitFor('online status', () => rec.on('/status').some((m) => (m.payload as { state: string }).state === 'online'), 30_000);
      const status = rec.on('/status').at(-1)?.payload as Record<string, unknown>;
      expect(status).toMatchObject({ v: 1, box: 'e2e-box', state: 'online', boot: rt.boot, fw: expect.any(String) });
      // the box's identity: its Ed25519 public key (what the platform pins) and key id
      expect(status).toMatchObject({ key: rt.identity.publicKey, keyId: rt.identity.keyId });
      expect(status.key).toMatch(/^[A-Za-z0-9+/]{43}=$/);

      const samples = (): TelemetryPayload['samples'][number][] =>
        rec.on('/telemetry').flatMap((m) => (m.payload as TelemetryPayload).samples);
      await rec.waitFor('20 env samples', () => samples().filter((s) => s.dev === 'env').length >= 20, 30_000);
      const env = samples().filter((s) => s.dev === 'env');
      expect(env[0]).toMatchObject({ dev: 'env', kind: 'sample', tq: 'assumed', u: { temperature: '°C', pressure: 'hPa', humidity: '%RH' } });
      for (const s of env) {
        expect(s.v.temperature).toBeGreaterThan(-40);
        expect(s.v.temperature).toBeLessThan(85);
        expect(s.v.pressure).toBeGreaterThan(300);
        expect(s.v.humidity).toBeGreaterThanOrEqual(0);
      }
      env.forEach((s, i) => expect(s.seq).toBe(i));
      const tel = rec.on('/telemetry')[0]?.payload as TelemetryPayload;
      expect(tel).toMatchObject({ v: 1, box: 'e2e-box', boot: rt.boot });

      // outage: kill -9 the broker, wait, restart it on the same port. The box reaches the broker
      // through a relay that stays cut until the test's subscriber has subscribed again: a box
      // that got back first would have its backlog acknowledged by a broker with nobody to send it
      // to (the readings are then the subscriber's loss, never delivered however long one waits;
      // that is what failed now and then on a loaded machine, see docs/mqtt.md "Broker settings").
      const tKill = Date.now();
      const resubscribed = rec.unsubscribed.length;
      await broker.kill();
      await link.cut();
      await new Promise((r) => setTimeout(r, 1500));
      const tBack = Date.now();
      await broker.start();
      await rec.waitFor('the subscriber subscribed again', () => rec.unsubscribed.length > resubscribed, 30_000);
      await link.restore();
      // every env reading the box produced while the broker was down arrives, however few a
      // loaded machine managed to take (the bound is liveness only: measured 0.2–2.5 s at load 10)
      const outage = produced.filter((s) => s.device === 'env' && s.wallMs > tKill + 300 && s.wallMs < tBack).map((s) => s.wallMs);
      expect(outage.length).toBeGreaterThan(0);
      const arrived = (): Set<number> => new Set(samples().filter((s) => s.dev === 'env').map((s) => s.t));
      await rec.waitFor('every reading of the outage', () => outage.every((t) => arrived().has(t)), 40_000).catch((e: unknown) => {
        throw new Error(`${(e as Error).message}: ${outage.filter((t) => !arrived().has(t)).length}/${outage.length} missing; box ${JSON.stringify(rt.status().uplink)}`);
      });
      // …with consecutive sequences
      const inOutage = new Set(outage);
      const held = [...new Map(samples().filter((s) => s.dev === 'env' && inOutage.has(s.t)).map((s) => [s.seq, s])).values()].sort((a, b) => a.seq - b.seq);
      expect(held).toHaveLength(outage.length);
      held.forEach((s, i) => expect(s.seq).toBe((held[0]?.seq ?? 0) + i));
      // …and nothing from the outage on is missing: every env sequence up to the highest one
      // received by now arrives (live readings overtake the backlog, so wait for it)
      const hi = Math.max(...samples().filter((s) => s.dev === 'env').map((s) => s.seq));
      const from = held[0]?.seq ?? 0;
      const have = (): Set<number> => new Set(samples().filter((s) => s.dev === 'env').map((s) => s.seq));
      await rec.waitFor(`env sequences ${from}..${hi}`, () => { const h = have(); for (let q = from; q <= hi; q++) if (!h.has(q)) return false; return true; }, 40_000);
      // within each stream (live, backlog flagged hist) a device's sequences arrive in order
      for (const hist of [false, true]) {
        const lane = rec.on('/telemetry').filter((m) => ((m.payload as { hist?: boolean }).hist === true) === hist)
          .flatMap((m) => (m.payload as TelemetryPayload).samples).filter((s) => s.dev === 'env').map((s) => s.seq);
        const firstTime = lane.filter((q, i) => lane.indexOf(q) === i);
        expect(firstTime, hist ? 'backlog order' : 'live order').toEqual([...firstTime].sort((a, b) => a - b));
      }
      expect(rt.status().uplink.connects).toBeGreaterThanOrEqual(2);
    } finally {
      await link.restore();
      await rt.stop();
      await rec.close();
    }
  }, 120_000);

  it('publishes offline status on a clean stop', async () => {
    const rec = await Recorder.connect(broker.url, 'edgefw/e2e-box/status');
    const rt = new Runtime({ profile: profile(), log: silentLog });
    await rt.start();
    await rec.waitFor('online', () => rec.messages.some((m) => (m.payload as { state: string; boot: number }).boot === rt.boot && (m.payload as { state: string }).state === 'online'));
    // stop() resolves (the test's own timeout bounds it) after the offline status went out
    await rt.stop();
    await rec.waitFor('offline', () => rec.messages.some((m) => (m.payload as { state: string; boot: number }).boot === rt.boot && (m.payload as { state: string }).state === 'offline'));
    const off = rec.messages.at(-1)?.payload;
    expect(off).toMatchObject({ state: 'offline', reason: 'shutdown', boot: rt.boot });
    await rec.close();
  }, 20_000);
});
