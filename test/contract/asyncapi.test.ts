/**
 * Every payload the box publishes, validated against docs/asyncapi.yaml with a real JSON Schema
 * validator (Ajv; AsyncAPI 3's default payload schemas are a superset of JSON Schema draft-07):
 * the demo profile runs against a real Mosquitto for a few of its intervals, a subscriber captures
 * everything under the box's topics, and each message must belong to a documented channel and
 * validate against that channel's message payload, $refs resolved in the document.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseProfile } from '../../config/load.js';
import { Runtime } from '../../firmware/runtime.js';
import { readLastWall } from '../../firmware/state/last-wall.js';
import { silentLog } from '../helpers/drivers.js';
import { Mosquitto, Recorder } from '../helpers/mosquitto.js';
import { tempDir } from '../helpers/scratch.js';

interface Doc {
  channels: Record<string, { address: string; messages: Record<string, { $ref: string }> }>;
}

const doc = parseYaml(readFileSync('docs/asyncapi.yaml', 'utf8')) as Doc;

/** Per channel: a matcher for its address (parameters are one topic level) and its payload validators. */
function contract(prefix: string, box: string): { name: string; topic: RegExp; validators: ValidateFunction[] }[] {
  // strict off: the document is AsyncAPI around JSON Schema (channels, operations … are not keywords)
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat('date-time', (s: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(s) && !Number.isNaN(Date.parse(s)));
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  // a format the document uses that is not checked here would be ignored silently: refuse that
  for (const f of JSON.stringify(doc).match(/"format":"[^"]+"/g) ?? []) {
    const name = f.slice(10, -1);
    if (!['date-time', 'uuid'].includes(name)) throw new Error(`docs/asyncapi.yaml uses format ${name}: teach this test to check it`);
  }
  ajv.addSchema(doc as object, 'asyncapi');
  return Object.entries(doc.channels).map(([name, ch]) => {
    const pattern = ch.address
      .replace('{prefix}', prefix)
      .replace('{box}', box)
      .split('/')
      .map((level) => (/^\{.+\}$/.test(level) ? '[^/]+' : level.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
    const validators = Object.values(ch.messages).map((m) => {
      const v = ajv.getSchema(`asyncapi${m.$ref}/payload`);
      if (!v) throw new Error(`channel ${name}: cannot resolve ${m.$ref}/payload`);
      return v;
    });
    return { name, topic: new RegExp(`^${pattern}$`), validators };
  });
}

describe('what the box publishes matches docs/asyncapi.yaml', () => {
  let broker: Mosquitto;
  let dir: string;
  beforeAll(async () => {
    broker = await Mosquitto.start();
    dir = tempDir('asyncapi');
  });
  afterAll(async () => {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the demo profile: status, telemetry, faults, fault events, health, command replies, diag echo … all validate', async () => {
    const demo = parseYaml(readFileSync('config/profiles/demo.yaml', 'utf8')) as Record<string, any>;
    demo.uplink = { url: broker.url, batch: { maxDelay: 50 } };
    demo.storage = { dir: join(dir, 'data') };
    demo.health = { ...demo.health, interval: '1s' };
    delete demo.site;
    for (const b of demo.buses.gpio ?? []) if (b.stateDir) b.stateDir = join(dir, 'gpio');
    const profile = parseProfile(demo);
    const rec = await Recorder.connect(broker.url, `edgefw/${profile.box.id}/#`);
    const rt = new Runtime({ profile, log: silentLog });
    await rt.start();
    const seen = (suffix: string): number => rec.on(suffix).length;
    try {
      await rec.waitFor('status, telemetry and two health reports', () => seen('/status') > 0 && seen('/telemetry') >= 3 && seen('/health') >= 2, 30_000);
      // commands the platform may send: the replies (accepted or refused) are part of the contract
      for (const [cmd, body] of [['diag', '{"id":"c1"}'], ['ack', '{"code":"NOT_A_CODE"}'], ['diag', 'not json']] as const) {
        rec.client.publish(`edgefw/${profile.box.id}/cmd/${cmd}`, body, { qos: 1 });
      }
      await rec.waitFor('replies to the three commands', () => seen('/reply') >= 3, 20_000);
      // a fault raised and cleared through the box's own registry: events and snapshots
      rt.faults.raise({ code: 'WARMUP_TOO_LONG', subject: 'dust', message: 'dust: the PMS5003 has sent only all-zero frames (warming up) for 121 s' });
      await rec.waitFor('the raised event', () => seen('/faults/events') >= 1, 10_000);
      rt.faults.clear('WARMUP_TOO_LONG', 'dust');
      await rec.waitFor('the cleared event', () => seen('/faults/events') >= 2, 10_000);
      // the self-test as the job runs it (commissioning when every device and bus line passes)
      await rt.diagnostics?.selfTest();
    } finally {
      await rt.stop();
    }
    await rec.waitFor('the offline status', () => rec.on('/status').some((m) => (m.payload as { state?: string }).state === 'offline'), 10_000);
    // a clean stop keeps the trusted wall time for the next start's clock floor (GPS checks)
    expect(Math.abs((readLastWall(join(dir, 'data')) ?? 0) - Date.now())).toBeLessThan(30_000);
    await rec.close();

    const channels = contract(profile.uplink.topicPrefix, profile.box.id);
    const problems: string[] = [];
    const counts = new Map<string, number>();
    // the commands this test sent as the platform (cmd/<name>) are not the box's to publish
    const fromBox = rec.messages.filter((m) => !/\/cmd\/[^/]+$/.test(m.topic));
    for (const m of fromBox) {
      const ch = channels.find((c) => c.topic.test(m.topic));
      if (!ch) {
        problems.push(`${m.topic}: no channel in docs/asyncapi.yaml`);
        continue;
      }
      counts.set(ch.name, (counts.get(ch.name) ?? 0) + 1);
      const ok = ch.validators.some((v) => v(m.payload));
      if (!ok) problems.push(`${m.topic}: ${JSON.stringify(ch.validators.map((v) => v.errors)).slice(0, 600)}\n  payload ${JSON.stringify(m.payload).slice(0, 400)}`);
    }
    console.log(`AsyncAPI contract: ${fromBox.length} messages validated by channel: ${JSON.stringify(Object.fromEntries(counts))}`);
    expect(problems).toEqual([]);
    for (const name of ['status', 'telemetry', 'health', 'commandReply', 'faults', 'faultEvents']) expect(counts.get(name), name).toBeGreaterThan(0);
  }, 60_000);

  it('the validators are real: payloads that break the document are refused', () => {
    const channels = contract('edgefw', 'b');
    const check = (name: string, payload: unknown): boolean => (channels.find((c) => c.name === name)?.validators ?? []).some((v) => v(payload));
    const sample = { dev: 'env', seq: 0, kind: 'sample', t: 1, tq: 'system', v: { temperature: 21.5 }, u: { temperature: '°C' } };
    expect(check('telemetry', { v: 1, box: 'b', boot: 1, samples: [sample] })).toBe(true);
    expect(check('telemetry', { v: 1, box: 'b', boot: 1, samples: [{ ...sample, kind: 'reading' }] })).toBe(false);
    expect(check('telemetry', { v: 1, box: 'b', boot: 1, samples: [{ ...sample, v: { temperature: '21.5' } }] })).toBe(false);
    expect(check('telemetry', { v: 2, box: 'b', boot: 1, samples: [] })).toBe(false);
    expect(check('status', { v: 1, box: 'b', state: 'sleeping', boot: 1, fw: '0.1.0', since: 1 })).toBe(false);
    expect(check('health', { v: 1, box: 'b', boot: 1 })).toBe(false);
    expect(check('commandReply', { v: 1, box: 'b' })).toBe(false);
  }, 60_000);
});
