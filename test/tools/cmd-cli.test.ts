import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseProfile } from '../../config/load.js';
import { Runtime } from '../../firmware/runtime.js';
import { parseBoundedJson } from '../../firmware/security/bounded-json.js';
import { generateKeyPair, keyId, publicKeyText } from '../../firmware/security/keys.js';
import { signReply } from '../../firmware/security/envelope.js';
import { identityOf } from '../../firmware/security/identity.js';
import { runCli } from '../helpers/cli.js';
import { silentLog } from '../helpers/drivers.js';
import { Mosquitto, Recorder } from '../helpers/mosquitto.js';
import { tempDir } from '../helpers/scratch.js';

/**
 * `edgefw keygen` and `edgefw cmd` against a running box on a real Mosquitto, with a forger on
 * the broker who answers every diag command at once with the same `re`: the CLI must refuse the
 * forged reply and print the box's own.
 */
describe('edgefw keygen and edgefw cmd', () => {
  let broker: Mosquitto;
  let dir: string;
  beforeAll(async () => {
    broker = await Mosquitto.start();
    dir = tempDir('cmd-cli');
  });
  afterAll(async () => {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keygen writes a private key 0600 and a .pub for the trust list, and refuses to overwrite it', async () => {
    const file = join(dir, 'anna.key');
    const r = await runCli(['keygen', file]);
    expect(r.code).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const pub = readFileSync(`${file}.pub`, 'utf8').trim();
    expect(pub).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(r.stdout).toContain(`key id       ${keyId(pub)}`);
    expect(r.stdout).toContain(`key: ${pub}, allow: [diag, ack]`);
    const again = await runCli(['keygen', file]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('a key already exists here; refusing to overwrite it');
  });

  it('cmd signs, sends, and accepts only the reply the box signed; a forged reply with the same id is refused', async () => {
    const keyFile = join(dir, 'tech.key');
    expect((await runCli(['keygen', keyFile])).code).toBe(0);
    const pub = readFileSync(`${keyFile}.pub`, 'utf8').trim();
    const rt = new Runtime({
      profile: parseProfile({
        box: { id: 'cli-box' },
        uplink: { url: broker.url, batch: { maxDelay: 50 } },
        clock: { assumeTrusted: true },
        storage: { dir: join(dir, 'data') },
        buses: { i2c: [{ name: 'i2c1', simulated: true }] },
        devices: [{ id: 'env', type: 'bme280', bus: 'i2c1', address: 0x76, interval: 500 }],
        commands: { trust: [{ name: 'tech', key: pub, allow: ['diag', 'ack'] }] },
      }),
      log: silentLog,
    });
    await rt.start();
    // the forger: answers every diag command at once, same `re`, signed by a key of its own
    const forger = await Recorder.connect(broker.url, 'edgefw/cli-box/cmd/diag');
    const fake = identityOf(generateKeyPair(), 'forger');
    let forged = 0;
    forger.client.on('message', (_t, payload) => {
      const env = parseBoundedJson(payload.toString('utf8'));
      if (!env.ok) return;
      const re = (env.value as { nonce?: string }).nonce ?? null;
      const reply = signReply({ v: 1, box: 'cli-box', cmd: 'diag', re, ok: true, result: { report: { verdict: 'PASS', checks: [] } }, t: Date.now() }, rt.identity.keyId, fake.sign);
      forger.client.publish('edgefw/cli-box/cmd/diag/reply', JSON.stringify(reply), { qos: 1 });
      forged++;
    });
    try {
      const rec = await Recorder.connect(broker.url, 'edgefw/cli-box/status');
      await rec.waitFor('online', () => rec.messages.some((m) => (m.payload as { state: string }).state === 'online'));
      await rec.close();
      const r = await runCli(['cmd', 'cli-box', 'diag', '--key', keyFile, '--url', broker.url]);
      expect(forged).toBeGreaterThanOrEqual(1);
      expect(r.stdout).toContain(`OK diag on cli-box: reply signed by ${rt.identity.keyId}, box key from its retained status`);
      expect(r.stdout).toMatch(/warning: [1-9]\d* forged reply\/replies with the same id were refused/);
      expect(r.stdout).toContain('(from the running service)');
      expect(r.code).toBe(0);

      // pinned to the wrong box key, nothing verifies: no reply is accepted, exit 2
      const wrong = publicKeyText(generateKeyPair().publicKey);
      const w = await runCli(['cmd', 'cli-box', 'diag', '--key', keyFile, '--url', broker.url, '--box-key', wrong, '--timeout', '3000']);
      expect(w.code).toBe(2);
      expect(w.stderr).toMatch(/no-reply: no reply signed by cli-box within 3000 ms \(\d+ reply\/replies with a wrong signature refused\)/);

      // a command the key may not send: the box's signed refusal, exit 1
      const n = await runCli(['cmd', 'cli-box', 'reprobe', 'device=env', '--key', keyFile, '--url', broker.url]);
      expect(n.stdout).toContain('REFUSED reprobe on cli-box');
      expect(n.stdout).toContain('not-allowed: key tech may not send reprobe (allowed: diag, ack)');
      expect(n.code).toBe(1);
    } finally {
      await forger.close();
      await rt.stop();
    }
  }, 60_000);
});
