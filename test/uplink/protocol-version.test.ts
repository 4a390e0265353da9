import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmbeddedBroker } from '../../firmware/broker/embedded.js';
import { Scheduler } from '../../firmware/loop/scheduler.js';
import { Outbox } from '../../firmware/uplink/outbox.js';
import type { UplinkConfig } from '../../firmware/uplink/protocol.js';
import { UplinkSession } from '../../firmware/uplink/session.js';
import { Mosquitto, Recorder } from '../helpers/mosquitto.js';
import { receivedSamples } from '../helpers/outbox.js';
import { tempDir } from '../helpers/scratch.js';

/**
 * MQTT 5 where the broker offers it: Mosquitto 2 speaks 5; the embedded aedes broker of the demo
 * speaks only 3.1.1 and refuses a version-5 CONNECT (CONNACK return code 1), after which the box
 * must speak 3.1.1 and deliver.
 */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function publishThrough(url: string): Promise<{ session: UplinkSession; rec: Recorder }> {
  const dir = tempDir('proto');
  const config: UplinkConfig = {
    url, clientId: 'proto-box', keepaliveMs: 10_000, prefix: 'edgefw', boxId: 'proto-box', boot: 1, firmware: 'test',
    reconnectMinMs: 200, reconnectMaxMs: 400, maxSamplesPerMessage: 10, inflightWindow: 4, memoryQueueLimit: 0,
    outbox: { path: join(dir, 'outbox.db'), commitIntervalMs: 50, maxRows: 1000, maxBytes: 1e7, maxAgeMs: 0, policy: 'drop-oldest', ringRows: 100, retryMs: 1000 },
  };
  const outbox = new Outbox({ ...config.outbox!, boot: 1 });
  const scheduler = new Scheduler();
  const rec = await Recorder.connect(url, 'edgefw/proto-box/telemetry');
  const session = new UplinkSession(config, outbox, scheduler, { stats: () => undefined, log: () => undefined });
  session.start();
  cleanups.push(async () => {
    await session.stop(500);
    scheduler.stop();
    await rec.close();
    rmSync(dir, { recursive: true, force: true });
  });
  session.submit([{ device: 'env', kind: 'sample', monoMs: 1, wallMs: Date.now(), timeSource: 'system', values: [{ channel: 't', value: 20, unit: '°C' }] }]);
  await rec.waitFor('the reading', () => receivedSamples(rec.messages).length === 1);
  return { session, rec };
}

describe('MQTT protocol version', () => {
  it('speaks MQTT 5 to a broker that offers it (Mosquitto)', async () => {
    const broker = await Mosquitto.start();
    cleanups.push(() => broker.stop());
    const { session } = await publishThrough(broker.url);
    expect(session.stats().protocolVersion).toBe(5);
  });

  it('falls back to 3.1.1 when the broker refuses version 5 (aedes), and delivers', async () => {
    const broker = await startEmbeddedBroker('127.0.0.1', 0);
    cleanups.push(() => broker.stop());
    const { session } = await publishThrough(`mqtt://127.0.0.1:${broker.port}`);
    expect(session.stats().protocolVersion).toBe(4);
    expect(session.stats().connects).toBe(1);
  });
});
