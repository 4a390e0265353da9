import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { finished, runCli, startCli } from '../helpers/cli.js';
import { Mosquitto } from '../helpers/mosquitto.js';
import { startTestSession, waitUntil } from '../helpers/transport.js';
import { tempDir } from '../helpers/scratch.js';

/**
 * The broker password of a running box, end to end: Mosquitto with a password file and no
 * anonymous access; the box logs in with uplink.username + uplink.passwordFile. The password must
 * appear nowhere: not in a log line (at trace level), a published message (status, health,
 * commissioning record, diag reply), a file in the data directory, or `edgefw diag` output.
 */
describe('broker credentials stay secret', () => {
  const PASSWORD = `pw-${Math.random().toString(36).slice(2)}-kiosk`;
  let broker: Mosquitto;
  let dir: string;

  beforeAll(async () => {
    dir = tempDir('secrets');
    broker = await Mosquitto.startWith((d) => {
      const pw = join(d, 'passwords');
      writeFileSync(pw, '');
      execFileSync('mosquitto_passwd', ['-b', pw, 'sec-box', PASSWORD]);
      execFileSync('mosquitto_passwd', ['-b', pw, 'platform', 'platform-pw']);
      return ['allow_anonymous false', `password_file ${pw}`];
    });
  });
  afterAll(async () => {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('logs in with the password file; the password is in no log line, message, data file or diag output', async () => {
    const pwFile = join(dir, 'broker-password');
    writeFileSync(pwFile, `${PASSWORD}\n`, { mode: 0o600 });
    const data = join(dir, 'data');
    mkdirSync(data);
    const profile = join(dir, 'box.yaml');
    writeFileSync(profile, stringify({
      box: { id: 'sec-box' },
      uplink: { url: broker.url, username: 'sec-box', passwordFile: 'broker-password', reconnect: { min: 500, max: 1000 }, batch: { maxDelay: 50 } },
      clock: { assumeTrusted: true },
      storage: { dir: data },
      buses: { i2c: [{ name: 'i2c1', simulated: true }] },
      health: { interval: '1s', diskMinFreeMb: 0, diskMinFreePercent: 0 },
      jobs: [{ name: 'selftest', action: 'self-test', schedule: '*/2 * * * * *' }],
      devices: [{ id: 'env', type: 'bme280', bus: 'i2c1', address: 0x76, interval: 200 }],
    }));

    const platform = mqtt.connect(broker.url, { username: 'platform', password: 'platform-pw', reconnectPeriod: 0 });
    const seen: { topic: string; text: string }[] = [];
    platform.on('message', (topic, payload) => seen.push({ topic, text: payload.toString('utf8') }));
    await new Promise<void>((resolve, reject) => {
      platform.once('connect', () => platform.subscribe('edgefw/sec-box/#', { qos: 1 }, (e) => (e ? reject(e) : resolve())));
      platform.once('error', reject);
    });

    const box = startCli(['run', '--profile', profile, '--log-level', 'trace']);
    try {
      await waitUntil('the commissioning record', () => seen.some((m) => m.topic.endsWith('/commissioning')), 20_000);
      // an unsigned diag from the platform's login is refused (with a reply); `edgefw diag` on the
      // box signs with the box key, logs in with the password file, and gets the signed report
      platform.publish('edgefw/sec-box/cmd/diag', JSON.stringify({ id: 'd1' }), { qos: 1 });
      const diag = await runCli(['diag', '--profile', profile, '--json']);
      const report = JSON.parse(diag.stdout) as { source: string; checks: { name: string; verdict: string }[] };
      expect(report).toMatchObject({ source: 'service', box: 'sec-box' });
      expect(report.checks.find((c) => c.name === 'broker')?.verdict).toBe('PASS');
      await waitUntil('the signed diag reply on the broker', () => seen.filter((m) => m.topic.endsWith('/cmd/diag/reply')).length >= 2, 15_000);
      const standalone = await runCli(['diag', '--standalone', '--profile', profile]);
      expect(standalone.stdout).toMatch(/PASS {2}broker/);

      for (const m of seen) expect(m.text, m.topic).not.toContain(PASSWORD);
      for (const out of [diag.stdout, diag.stderr, standalone.stdout, standalone.stderr]) expect(out).not.toContain(PASSWORD);
      for (const f of readdirSync(data)) {
        if (statSync(join(data, f)).isFile()) expect(readFileSync(join(data, f)).includes(PASSWORD), f).toBe(false);
      }
    } finally {
      box.kill('SIGTERM');
      await finished(box);
      platform.end(true);
    }
    expect(box.out.stdout).toMatch(/connected to broker/);
    expect(`${box.out.stdout}${box.out.stderr}`).not.toContain(PASSWORD);
  }, 60_000);

  it('a wrong password: BROKER_AUTH_REFUSED, with neither password in the message', async () => {
    const wrong = join(dir, 'wrong-password');
    writeFileSync(wrong, 'not-the-password\n', { mode: 0o600 });
    const s = startTestSession('sec-box', `{ url: "${broker.url}", username: sec-box, passwordFile: "${wrong}" }`);
    try {
      const f = await s.raised('BROKER_AUTH_REFUSED');
      expect(f.message).toMatch(/refused the box's login \(CONNACK 0x8[67]/);
      expect(JSON.stringify([s.faults, s.logs])).not.toContain('not-the-password');
    } finally {
      await s.stop();
    }
  });
});
