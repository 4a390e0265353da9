import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseProfile } from '../../config/load.js';
import { Runtime } from '../../firmware/runtime.js';
import type { TelemetryPayload } from '../../firmware/uplink/payload.js';
import { silentLog } from '../helpers/drivers.js';
import { Mosquitto, Recorder } from '../helpers/mosquitto.js';
import type { Sample } from '../../firmware/reading.js';

/**
 * End to end: the runtime on a simulated profile publishes to a real Mosquitto started on a free
 * port; a subscriber checks topics, payload shape, units and sequences; the broker is killed
 * (-9) and restarted, and the runtime reconnects by itself.
 */
describe('runtime → real Mosquitto', () => {
  let broker: Mosquitto;
  let dir: string;

  beforeAll(async () => {
    broker = await Mosquitto.start();
    dir = mkdtempSync(join(tmpdir(), 'edgefw-e2e-'));
  });

  afterAll(async () => {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const profile = (): ReturnType<typeof parseProfile> =>
    parseProfile({
      box: { id: 'e2e-box' },
      // reconnect slower than the test subscriber, so it is subscribed again before the box publishes
      uplink: { url: broker.url, reconnect: { min: 1500, max: 2000 }, batch: { maxDelay: 50 } },
      clock: { assumeTrusted: true },
      // a fresh storage directory per attempt: sequences start at 0 (CI retries, vitest.config.ts)
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
      await rec.waitFor('online status', () => rec.on('/status').some((m) => (m.payload as { state: string }).state === 'online'));
      const status = rec.on('/status').at(-1)?.payload as Record<string, unknown>;
      expect(status).toMatchObject({ v: 1, box: 'e2e-box', state: 'online', boot: rt.boot, fw: expect.any(String) });
      // the box's identity: its Ed25519 public key (what the platform pins) and key id
      expect(status).toMatchObject({ key: rt.identity.publicKey, keyId: rt.identity.keyId });
      expect(status.key).toMatch(/^[A-Za-z0-9+/]{43}=$/);

      const samples = (): TelemetryPayload['samples'][number][] =>
        rec.on('/telemetry').flatMap((m) => (m.payload as TelemetryPayload).samples);
      await rec.waitFor('20 env samples', () => samples().filter((s) => s.dev === 'env').length >= 20);
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

      // outage: kill -9 the broker, wait, restart it on the same port
      const tKill = Date.now();
      await broker.kill();
      await new Promise((r) => setTimeout(r, 1500));
      const before = samples().length;
      const tBack = Date.now();
      await broker.start();
      await rec.waitFor('telemetry after the broker restart', () => samples().length > before + 10, 15_000);
      const after = samples().filter((s) => s.dev === 'env');
      // sequences still increase per device
      for (let i = 1; i < after.length; i++) expect(after[i]?.seq).toBeGreaterThan(after[i - 1]?.seq ?? -1);
      // what was sampled while the broker was down was queued and arrives after the restart,
      // without gaps (messages the dying broker had acknowledged but not yet delivered are the
      // broker's loss, not the box's: see docs/mqtt.md)
      // every env reading the box produced while the broker was down arrives, however few a
      // loaded machine managed to take
      const outage = produced.filter((s) => s.device === 'env' && s.wallMs > tKill + 300 && s.wallMs < tBack).map((s) => s.wallMs);
      expect(outage.length).toBeGreaterThan(0);
      const arrived = (): Set<number> => new Set(samples().filter((s) => s.dev === 'env').map((s) => s.t));
      await rec.waitFor('every reading of the outage', () => outage.every((t) => arrived().has(t)), 15_000);
      // …without gaps: consecutive sequences
      const inOutage = new Set(outage);
      const held = samples()
        .filter((s) => s.dev === 'env' && inOutage.has(s.t))
        .sort((a, b) => a.seq - b.seq)
        .filter((s, i, all) => i === 0 || s.seq !== all[i - 1]?.seq);
      expect(held).toHaveLength(outage.length);
      held.forEach((s, i) => expect(s.seq).toBe((held[0]?.seq ?? 0) + i));
      expect(rt.status().uplink.connects).toBeGreaterThanOrEqual(2);
    } finally {
      await rt.stop();
      await rec.close();
    }
  }, 60_000);

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
