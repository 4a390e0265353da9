import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finished, startCli } from '../helpers/cli.js';
import { Mosquitto, Recorder } from '../helpers/mosquitto.js';
import { simulatedBoxProfile } from '../helpers/profiles.js';
import { type TestKey, testKey } from '../helpers/commands.js';
import { tempDir } from '../helpers/scratch.js';

type Telemetry = { samples: { dev: string; v: Record<string, number | null> }[] };
type FaultEvent = { transition: string; fault: { code: string; subject?: string; message: string } };

/**
 * `edgefw run` (the built CLI, against a real Mosquitto) is sent SIGHUP as `systemctl reload` or
 * a closed ssh session would: a good profile is applied live, a bad one is refused with a fault
 * while the box keeps publishing, and the box stops cleanly afterwards (no crash reported).
 */
describe('edgefw run reloads its profile on SIGHUP', () => {
  let broker: Mosquitto;
  let dir: string;
  let file: string;
  let tech: TestKey;
  const write = (temperature: string, extra = '', interval = '500ms'): void => {
    writeFileSync(
      file,
      simulatedBoxProfile({
        box: 'reload-box',
        uplink: `url: "${broker.url}", batch: { maxDelay: 50ms }${extra}`,
        storageDir: join(dir, 'data'),
        more: [`commands: { trust: [ { name: tech, key: "${tech.pub}", allow: [diag] } ] }`],
        devices: [`id: env, type: bme280, bus: i2c1, address: 0x76, interval: ${interval}, channels: { temperature: ${temperature} }`],
      }),
    );
  };

  beforeAll(async () => {
    broker = await Mosquitto.start();
    dir = tempDir('hup');
    file = join(dir, 'profile.yaml');
    tech = testKey(dir, 'tech');
  });
  afterAll(async () => {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies a good profile live, refuses a bad one and keeps publishing, never dies', async () => {
    // temperature is sent once and then only on a 100 °C change: absent from later samples
    write('{ report: { delta: 100, heartbeat: 1h } }');
    const rec = await Recorder.connect(broker.url, 'edgefw/reload-box/#');
    const child = startCli(['run', '--profile', file]);
    const samples = (): Telemetry['samples'] => rec.on('/telemetry').flatMap((m) => (m.payload as Telemetry).samples).filter((s) => s.dev === 'env');
    const events = (code: string): FaultEvent[] => rec.on('/faults/events').map((m) => m.payload as FaultEvent).filter((e) => e.fault.code === code);
    const logs = (): { level: number; msg: string }[] =>
      child.out.stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { level: number; msg: string });
    // the profile hash the running box reports in its diag (cmd/diag, edgefw diag)
    const diagHash = async (what: string): Promise<string> => {
      const cmd = tech.sign({ cmd: 'diag', box: 'reload-box' });
      rec.client.publish('edgefw/reload-box/cmd/diag', JSON.stringify(cmd), { qos: 1 });
      const reply = (): { re?: string; result?: { report?: { profileHash: string } } } | undefined =>
        rec.on('/cmd/diag/reply').map((m) => m.payload as { re?: string; result?: { report?: { profileHash: string } } }).find((p) => p.re === cmd.nonce);
      await rec.waitFor(`diag reply ${what}`, () => reply() !== undefined, 20_000);
      return reply()?.result?.report?.profileHash ?? '';
    };
    try {
      await rec.waitFor('five env samples', () => samples().length >= 5, 30_000);
      expect(samples().filter((s) => 'temperature' in s.v)).toHaveLength(1);
      const started = await diagHash('before');
      expect(started).toMatch(/^[0-9a-f]{16}$/);

      // good: temperature on every sample, with a range check it fails; a keepalive change needs a restart
      write('{ checks: { range: { max: -50 } } }', ', keepalive: 20s', '400ms');
      const before = samples().length;
      child.kill('SIGHUP');
      await rec.waitFor('temperature again', () => samples().slice(before).filter((s) => 'temperature' in s.v).length >= 3, 20_000);
      await rec.waitFor('range fault', () => events('VALUE_OUT_OF_RANGE').some((e) => e.transition === 'raised' && e.fault.subject === 'env/temperature'), 20_000);
      await rec.waitFor('restart-pending fault', () => events('PROFILE_RESTART_PENDING').some((e) => e.transition === 'raised' && e.fault.message.includes('uplink.keepalive')), 20_000);
      expect(logs().some((l) => l.msg.startsWith('profile reloaded: applied live env: channels, interval/timeout'))).toBe(true);
      const reloaded = await diagHash('after-good');
      expect(reloaded).not.toBe(started);

      // bad: refused with a log line and a fault, the box goes on with the profile it has
      writeFileSync(file, readFileSync(file, 'utf8').replace('interval: 400ms', 'interval: 2x'));
      child.kill('SIGHUP');
      await rec.waitFor('rejected fault', () => events('PROFILE_REJECTED').some((e) => e.transition === 'raised' && e.fault.message.includes('devices[0].interval')), 20_000);
      // the log line comes over stdout, the fault over MQTT: either may arrive first
      await rec.waitFor('refusal log line', () => logs().some((l) => l.msg.startsWith('profile reload refused')), 20_000);
      const refused = logs().find((l) => l.msg.startsWith('profile reload refused'));
      expect(refused?.level).toBe(50);
      expect(refused?.msg).toContain('"2x" is not a duration');
      const after = samples().length;
      await rec.waitFor('still publishing', () => samples().length >= after + 3, 20_000);
      expect(samples().slice(after).every((s) => 'temperature' in s.v)).toBe(true);
      expect(child.exitCode).toBeNull();
      expect(await diagHash('after-bad')).toBe(reloaded);

      // fixed again: the rejection clears
      write('{ checks: { range: { max: -50 } } }', ', keepalive: 20s', '400ms');
      child.kill('SIGHUP');
      await rec.waitFor('rejected cleared', () => events('PROFILE_REJECTED').some((e) => e.transition === 'cleared'), 20_000);

      child.kill('SIGTERM');
      const done = await finished(child, 20_000);
      expect(done.code).toBe(0);
      expect(done.stderr).not.toMatch(/at .*\.js:\d+/);
      expect(JSON.parse(readFileSync(join(dir, 'data', 'run-state.json'), 'utf8'))).toMatchObject({ state: 'stopped' });
    } finally {
      child.kill('SIGKILL');
      await rec.close();
    }
  }, 120_000);
});
