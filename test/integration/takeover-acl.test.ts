import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../drivers/bus/clock.js';
import { parseProfile } from '../../config/load.js';
import { FaultRegistry } from '../../firmware/diagnostics/registry.js';
import { Runtime } from '../../firmware/runtime.js';
import { loadOrCreateIdentity } from '../../firmware/security/identity.js';
import { defaultClientId } from '../../firmware/uplink/transport.js';
import { silentLog } from '../helpers/drivers.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { type TestSession, startTestSession, waitUntil } from '../helpers/transport.js';
import { tempDir } from '../helpers/scratch.js';

/**
 * Two attacks a shared city broker allows, against a real Mosquitto: an impostor connecting with
 * the box's client id (session takeover), and a box configured with another box's id, which the
 * broker's ACL (each login may publish only under its own prefix) refuses.
 */
describe('session takeover', () => {
  let broker: Mosquitto;
  let impostor: MqttClient | undefined;
  let s: TestSession | undefined;
  beforeAll(async () => {
    broker = await Mosquitto.start();
  });
  afterEach(async () => {
    impostor?.end(true);
    impostor = undefined;
    await s?.stop();
  });
  afterAll(async () => {
    await broker.stop();
  });

  /** the faults the session reports, through the registry the runtime uses (raiseAfter: 3) */
  const registry = (t: TestSession): FaultRegistry => {
    const r = new FaultRegistry(new ManualClock());
    let seen = 0;
    const pump = setInterval(() => {
      for (; seen < t.faults.length; seen++) {
        const f = t.faults[seen]!;
        if (f.op === 'raise') r.raise({ code: f.code, subject: 'uplink', message: f.message ?? '' });
        else r.clear(f.code, 'uplink');
      }
    }, 10);
    pump.unref();
    return r;
  };

  for (const protocolVersion of [5, 4] as const) {
    it(`MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}: an impostor with the box's client id; repeated takeovers raise SESSION_TAKEOVER`, async () => {
      s = startTestSession('victim', `{ url: "${broker.url}", protocolVersion: ${protocolVersion} }`, { clientId: 'victim-client', protocolVersion });
      const faults = registry(s);
      await waitUntil('box connected', () => s!.session.stats().connected);
      // one takeover is not yet a fault (a box restarting faster than the broker noticed)
      impostor = mqtt.connect(broker.url, { clientId: 'victim-client', protocolVersion, reconnectPeriod: 150 });
      await waitUntil('the impostor and the box taking turns', () => s!.faults.filter((f) => f.code === 'SESSION_TAKEOVER').length >= 3, 15_000);
      await waitUntil('SESSION_TAKEOVER active', () => faults.isActive('SESSION_TAKEOVER', 'uplink'));
      const f = faults.active().find((x) => x.code === 'SESSION_TAKEOVER');
      // Mosquitto 2.0 closes the old connection without a DISCONNECT 0x8E, with MQTT 5 too
      expect(f?.message).toMatch(/closed the connection [\d.]+ s after accepting it, without a reason: probably another client connected with this client id \(\d+ in a row\)/);
      expect(f?.remedy).toMatch(/Find the other client/);
    }, 30_000);
  }

  it("the old predictable client id edgefw-<box> no longer pushes a running box off; its own id is derived from its key", async () => {
    const dir = tempDir('cid');
    const profile = parseProfile({ box: { id: 'ta-box' }, uplink: { url: broker.url, reconnect: { min: 300, max: 600 } }, storage: { dir } });
    const rt = new Runtime({ profile, log: silentLog });
    await rt.start();
    try {
      await waitUntil('box connected', () => rt.status().uplink.connected);
      const id = defaultClientId('ta-box', rt.identity);
      expect(id).toMatch(/^edgefw-ta-box-[0-9a-f]{16}$/);
      expect(id).not.toContain(rt.identity.keyId);
      impostor = mqtt.connect(broker.url, { clientId: 'edgefw-ta-box', reconnectPeriod: 150 });
      await new Promise<void>((resolve) => impostor!.once('connect', () => resolve()));
      await new Promise((r) => setTimeout(r, 1500));
      expect(rt.status().uplink).toMatchObject({ connected: true, connects: 1 });
      expect(rt.faults.isActive('SESSION_TAKEOVER', 'uplink')).toBe(false);
    } finally {
      await rt.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    // the same key gives the same id at the next start; another box key another id
    expect(defaultClientId('ta-box', loadOrCreateIdentity(dir))).not.toBe(defaultClientId('ta-box', loadOrCreateIdentity(tempDir('cid2'))));
  }, 20_000);

  it('a box alone on its client id raises nothing', async () => {
    s = startTestSession('alone', `{ url: "${broker.url}" }`, { clientId: 'alone-client' });
    await waitUntil('connected', () => s!.session.stats().connected);
    await new Promise((r) => setTimeout(r, 1500));
    expect(s.faults).toEqual([]);
    expect(s.session.stats().connects).toBe(1);
  });
});

describe('broker ACL: each box publishes only under its own prefix', () => {
  let broker: Mosquitto;
  const sessions: TestSession[] = [];
  beforeAll(async () => {
    broker = await Mosquitto.startWith((dir) => {
      const pw = join(dir, 'passwords');
      writeFileSync(pw, '');
      for (const u of ['box-a', 'box-b', 'platform']) execFileSync('mosquitto_passwd', ['-b', pw, u, `${u}-pw`]);
      const acl = join(dir, 'acl');
      // the ACL docs/security.md recommends: %u is the login (with TLS client certificates, the CN)
      writeFileSync(acl, ['pattern readwrite edgefw/%u/#', 'user platform', 'topic readwrite edgefw/#', ''].join('\n'));
      writeFileSync(join(dir, 'box-a-pw'), 'box-a-pw\n');
      return ['allow_anonymous false', `password_file ${pw}`, `acl_file ${acl}`];
    }, { unlimitedQueues: false });
  });
  afterAll(async () => {
    await Promise.all(sessions.map((x) => x.stop()));
    await broker.stop();
  });

  it('box-a with its own id works; with box-b\'s id in its profile the broker refuses it: BROKER_NOT_AUTHORIZED, and nothing reaches the platform', async () => {
    const platform = mqtt.connect(broker.url, { username: 'platform', password: 'platform-pw', reconnectPeriod: 0 });
    const got: string[] = [];
    platform.on('message', (t) => got.push(t));
    await new Promise<void>((resolve, reject) => {
      platform.once('connect', () => platform.subscribe('edgefw/#', { qos: 1 }, (e) => (e ? reject(e) : resolve())));
      platform.once('error', reject);
    });
    const reading = () => [{ device: 'env', kind: 'sample' as const, monoMs: 0, wallMs: Date.now(), timeSource: 'system' as const, values: [{ channel: 't', value: 20, unit: '°C' }] }];
    const pwFile = join(broker.dir, 'box-a-pw');

    const good = startTestSession('box-a', `{ url: "${broker.url}", username: box-a, passwordFile: "${pwFile}" }`, { commands: true });
    sessions.push(good);
    await waitUntil('box-a connected', () => good.session.stats().connected);
    good.session.submit(reading());
    await waitUntil('box-a telemetry at the platform', () => got.includes('edgefw/box-a/telemetry'));
    expect(good.faults).toEqual([]);

    // a profile copied from box-b onto box-a's SD card: box-a's login, box-b's topics
    const wrong = startTestSession('box-b', `{ url: "${broker.url}", username: box-a, passwordFile: "${pwFile}" }`, { commands: true });
    sessions.push(wrong);
    // Mosquitto grants the subscription and filters on delivery; the retained status is refused
    const f = await wrong.raised('BROKER_NOT_AUTHORIZED');
    expect(f.message).toBe('the broker refused publishing on edgefw/box-b/status (not authorised, 0x87): its ACL does not grant this box its topics');
    wrong.session.submit(reading());
    await waitUntil('the telemetry refused too', () => wrong.faults.some((x) => x.message?.includes('publishing on edgefw/box-b/telemetry')));
    expect(wrong.session.stats()).toMatchObject({ connected: true, acked: 0, pending: 1 });
    expect(got.filter((t) => t.startsWith('edgefw/box-b/'))).toEqual([]);
    platform.end(true);
  }, 30_000);
});
