import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseProfile } from '../../config/load.js';
import type { OutputDriver } from '../../drivers/outputs.js';
import { Runtime } from '../../firmware/runtime.js';
import { type CommandReply, verifyReply } from '../../firmware/security/envelope.js';
import { parsePublicKey } from '../../firmware/security/keys.js';
import { type TestKey, testKey } from '../helpers/commands.js';
import { silentLog } from '../helpers/drivers.js';
import { Mosquitto, Recorder } from '../helpers/mosquitto.js';
import { tempDir } from '../helpers/scratch.js';

/**
 * Signed commands against a real Mosquitto: commands that act (output with its hold, reprobe,
 * restart), each refusal with its signed reply, event and counter, COMMANDS_REFUSED, and a
 * replay after a restart.
 */
describe('signed commands over MQTT', () => {
  let broker: Mosquitto;
  let dir: string;
  let tech: TestKey;
  let platform: TestKey;

  beforeAll(async () => {
    broker = await Mosquitto.start();
    dir = tempDir('cmd-e2e');
    tech = testKey(dir, 'tech');
    platform = testKey(dir, 'platform');
  });
  afterAll(async () => {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const profile = (): ReturnType<typeof parseProfile> =>
    parseProfile({
      box: { id: 'cmd-box' },
      uplink: { url: broker.url, reconnect: { min: 500, max: 1000 }, batch: { maxDelay: 50 } },
      clock: { assumeTrusted: true },
      storage: { dir: join(dir, 'data') },
      buses: { i2c: [{ name: 'i2c1', simulated: true }], gpio: [{ name: 'hdr', simulated: true, stateDir: join(dir, 'pins') }] },
      devices: [
        { id: 'env', type: 'bme280', bus: 'i2c1', address: 0x76, interval: 200 },
        { id: 'relay', type: 'gpio-output', bus: 'hdr', line: 18, kind: 'relay', safe: 'off', interval: 500 },
      ],
      commands: {
        trust: [
          { name: 'platform', key: platform.pub, allow: ['diag', 'ack'] },
          { name: 'tech', key: tech.pub, allow: ['diag', 'ack', 'output', 'reprobe', 'restart'] },
        ],
        refusalFault: 8,
      },
    });

  /** Online, and the broker has acknowledged the box's subscription to its command topic: a command sent now reaches it. */
  const listening = async (rec: Recorder, rt: Runtime): Promise<void> => {
    await rec.waitFor('online', () => rec.on('/status').some((m) => (m.payload as { state: string }).state === 'online'));
    await rec.waitFor('the command subscription acknowledged', () => rt.status().uplink.commandsSubscribed === true);
  };
  const replies = (rec: Recorder, cmd: string): CommandReply[] => rec.on(`/cmd/${cmd}/reply`).map((m) => m.payload as CommandReply);
  const events = (rec: Recorder): Record<string, unknown>[] => rec.on('/commands/events').map((m) => m.payload as Record<string, unknown>);

  it('runs output (back to safe after its hold), reprobe and restart, each reply signed by the box', async () => {
    const rec = await Recorder.connect(broker.url, 'edgefw/cmd-box/#');
    let restarts = 0;
    const rt = new Runtime({ profile: profile(), log: silentLog, onRestart: () => restarts++ });
    await rt.start();
    try {
      await listening(rec, rt);
      const boxKey = parsePublicKey(rt.identity.publicKey);
      const relay = (rt.devices.find((d) => d.id === 'relay')?.driver as OutputDriver).outputs()[0];
      await rec.waitFor('relay open', () => relay?.get() === 0);

      const on = tech.sign({ cmd: 'output', box: 'cmd-box', args: { device: 'relay', value: 'on', hold: 4000 } });
      rec.client.publish('edgefw/cmd-box/cmd/output', JSON.stringify(on), { qos: 1 });
      await rec.waitFor('output reply', () => replies(rec, 'output').length > 0);
      const r = replies(rec, 'output')[0] as CommandReply;
      expect(verifyReply(r, boxKey)).toBe(true);
      expect(r).toMatchObject({ ok: true, re: on.nonce, result: { device: 'relay', output: 'state', value: 1, holdMs: 4000, safe: 0 } });
      expect(relay?.get()).toBe(1);
      // its own timer returns it to the safe state, whatever the sender does
      await rec.waitFor('relay back to safe after the hold', () => relay?.get() === 0, 10_000);

      rec.client.publish('edgefw/cmd-box/cmd/reprobe', JSON.stringify(tech.sign({ cmd: 'reprobe', box: 'cmd-box', args: { device: 'env' } })), { qos: 1 });
      await rec.waitFor('reprobe reply', () => replies(rec, 'reprobe').length > 0);
      expect(replies(rec, 'reprobe')[0]).toMatchObject({ ok: true, result: { device: 'env', state: 'ok' } });

      rec.client.publish('edgefw/cmd-box/cmd/restart', JSON.stringify(tech.sign({ cmd: 'restart', box: 'cmd-box' })), { qos: 1 });
      await rec.waitFor('restart reply', () => replies(rec, 'restart').length > 0);
      expect(replies(rec, 'restart')[0]).toMatchObject({ ok: true, result: { restarting: true } });
      await rec.waitFor('restart hook', () => restarts === 1);

      expect(events(rec).map((e) => `${String(e.cmd)} ${String(e.outcome)} ${String(e.signer)}`)).toEqual(['output executed tech', 'reprobe executed tech', 'restart executed tech']);
      await rec.waitFor('counters in the worker stats', () => rt.status().uplink.commands?.accepted === 3);
      expect(rt.status().uplink.commands).toMatchObject({ received: 3, accepted: 3, refused: {} });
    } finally {
      await rt.stop();
      await rec.close();
    }
  }, 40_000);

  it('refuses retained, empty, oversize, unsigned, unknown-key, not-allowed, wrong-box and replayed commands with a signed reason, an event and a counter; COMMANDS_REFUSED; replay refused after a restart', async () => {
    const rec = await Recorder.connect(broker.url, 'edgefw/cmd-box/#');
    const stranger = testKey(dir, 'stranger');
    const rt = new Runtime({ profile: profile(), log: silentLog, onRestart: () => undefined });
    await rt.start();
    const ack = platform.sign({ cmd: 'ack', box: 'cmd-box', args: { code: 'TAMPER_OPEN' }, lifetimeMs: 120_000 });
    try {
      await listening(rec, rt);
      const boxKey = parsePublicKey(rt.identity.publicKey);
      const pub = (topic: string, payload: string | Buffer, retain = false): void => {
        rec.client.publish(`edgefw/cmd-box/cmd/${topic}`, payload, { qos: 1, retain });
      };
      pub('ack', JSON.stringify(ack));
      await rec.waitFor('ack executed', () => replies(rec, 'ack').length === 1);
      expect(replies(rec, 'ack')[0]).toMatchObject({ ok: true, re: ack.nonce, result: { acknowledged: 0 } });

      const hostile: [string, () => void][] = [
        ['replayed', () => pub('ack', JSON.stringify(ack))],
        ['retained', () => pub('diag', JSON.stringify(tech.sign({ cmd: 'diag', box: 'cmd-box' })), true)],
        ['empty', () => pub('diag', '')],
        ['oversize', () => pub('diag', JSON.stringify({ ...tech.sign({ cmd: 'diag', box: 'cmd-box' }), pad: 'x'.repeat(20_000) }))],
        ['unsigned', () => pub('ack', JSON.stringify({ code: 'TAMPER_OPEN' }))],
        ['malformed', () => pub('diag', '['.repeat(9000))],
        ['unknown-key', () => pub('ack', JSON.stringify(stranger.sign({ cmd: 'ack', box: 'cmd-box' })))],
        ['not-allowed', () => pub('output', JSON.stringify(platform.sign({ cmd: 'output', box: 'cmd-box', args: { device: 'relay', value: 'on' } })))],
        ['wrong-box', () => pub('ack', JSON.stringify(tech.sign({ cmd: 'ack', box: 'other-box' })))],
      ];
      const all = (): CommandReply[] => ['ack', 'diag', 'output'].flatMap((c) => replies(rec, c)).filter((r) => !r.ok);
      for (const [reason, send] of hostile) {
        const before = all().length;
        send();
        await rec.waitFor(`${reason} refusal`, () => all().length > before);
        const r = all().find((x) => x.reason === reason);
        expect(r, reason).toBeDefined();
        expect(verifyReply(r, boxKey)).toBe(true);
      }
      expect(all().map((r) => r.reason).sort()).toEqual(hostile.map(([r]) => r).sort());
      const refusedEvents = events(rec).filter((e) => e.outcome === 'refused').map((e) => e.reason);
      expect(refusedEvents.sort()).toEqual(hostile.map(([r]) => r).sort());
      const counters = async (): Promise<Record<string, number>> => {
        await rec.waitFor('stats', () => Object.keys(rt.status().uplink.commands?.refused ?? {}).length === hostile.length, 5000);
        return rt.status().uplink.commands?.refused ?? {};
      };
      expect(await counters()).toEqual(Object.fromEntries(hostile.map(([r]) => [r, 1])));
      // eight refusals within a minute (refusalFault: 8): the fault says so
      await rec.waitFor('COMMANDS_REFUSED', () => rt.faults.isActive('COMMANDS_REFUSED', 'commands'), 5000);
      expect(rt.faults.active().find((f) => f.code === 'COMMANDS_REFUSED')?.message).toMatch(/commands refused within a minute/);
    } finally {
      rec.client.publish('edgefw/cmd-box/cmd/diag', '', { qos: 1, retain: true }); // clear the retained one
      await sleep(200);
      await rt.stop();
    }
    // a restart does not forget the nonce
    const rt2 = new Runtime({ profile: profile(), log: silentLog, onRestart: () => undefined });
    await rt2.start();
    try {
      await listening(rec, rt2);
      const before = replies(rec, 'ack').length;
      rec.client.publish('edgefw/cmd-box/cmd/ack', JSON.stringify(ack), { qos: 1 });
      await rec.waitFor('replay after restart refused', () => replies(rec, 'ack').length > before);
      expect(replies(rec, 'ack').at(-1)).toMatchObject({ ok: false, reason: 'replayed', re: ack.nonce });
    } finally {
      await rt2.stop();
      await rec.close();
    }
  }, 60_000);

  it('a reload (SIGHUP) applies a new trust list at once: a removed key is refused, no restart pending', async () => {
    const rec = await Recorder.connect(broker.url, 'edgefw/cmd-box/#');
    const rt = new Runtime({ profile: profile(), log: silentLog, onRestart: () => undefined });
    await rt.start();
    try {
      await listening(rec, rt);
      const diag = (): void => {
        rec.client.publish('edgefw/cmd-box/cmd/ack', JSON.stringify(platform.sign({ cmd: 'ack', box: 'cmd-box' })), { qos: 1 });
      };
      diag();
      await rec.waitFor('accepted', () => replies(rec, 'ack').length === 1);
      expect(replies(rec, 'ack')[0]).toMatchObject({ ok: true });
      // the platform key leaked: the city removes it from the profile and reloads
      const next = profile();
      const plan = rt.reload({ ...next, commands: { ...next.commands, trust: next.commands.trust.filter((t) => t.name !== 'platform') } }, 'box.yaml');
      expect(plan).toMatchObject({ commands: true, restart: [] });
      expect(rt.faults.isActive('PROFILE_RESTART_PENDING', 'profile')).toBe(false);
      await sleep(300); // the worker takes the new list from its next message on
      diag();
      await rec.waitFor('refused', () => replies(rec, 'ack').length === 2);
      expect(replies(rec, 'ack')[1]).toMatchObject({ ok: false, reason: 'unknown-key' });
    } finally {
      await rt.stop();
      await rec.close();
    }
  }, 40_000);
});
