import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Scheduler } from '../../firmware/loop/scheduler.js';
import type { UplinkConfig } from '../../firmware/uplink/protocol.js';
import { Uplink } from '../../firmware/uplink/uplink.js';
import { Mosquitto } from '../helpers/mosquitto.js';

const log = pino({ level: 'silent' });

function config(url: string): UplinkConfig {
  return {
    url, clientId: `probe-test-${process.pid}`, keepaliveMs: 10_000, prefix: 'edgefw', boxId: 'probe-box', boot: 1, firmware: 'test',
    reconnectMinMs: 200, reconnectMaxMs: 400, maxSamplesPerMessage: 50, inflightWindow: 16, memoryQueueLimit: 1000,
  };
}

describe("diag's broker probe runs in the uplink worker (the sampling thread never loads mqtt.js for it)", () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await Mosquitto.start();
  });
  afterAll(async () => {
    await broker.stop();
  });

  it('times an echo round trip through the broker the uplink uses; a broker that is gone is an error with its cause', async () => {
    const scheduler = new Scheduler();
    const up = new Uplink({ config: config(broker.url), batchMaxSamples: 50, batchMaxDelayMs: 100 }, scheduler, log);
    expect(await up.probeBroker('edgefw/probe-box', 2000)).toEqual({ ok: false, error: 'the uplink is not running' });
    up.start();
    try {
      const ok = await up.probeBroker('edgefw/probe-box', 3000);
      expect(ok.ok, JSON.stringify(ok)).toBe(true);
      if (ok.ok) expect(ok.rttMs).toBeGreaterThanOrEqual(0);
      // two probes at once get their own answers
      const both = await Promise.all([up.probeBroker('edgefw/probe-box', 3000), up.probeBroker('edgefw/probe-box', 3000)]);
      expect(both.map((r) => r.ok)).toEqual([true, true]);
    } finally {
      await up.stop();
      scheduler.stop();
    }
    const dead = new Scheduler();
    const down = new Uplink({ config: config('mqtt://127.0.0.1:1'), batchMaxSamples: 50, batchMaxDelayMs: 100 }, dead, log);
    down.start();
    try {
      const r = await down.probeBroker('edgefw/probe-box', 1000);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(/ECONNREFUSED|closed|no answer/);
    } finally {
      await down.stop();
      dead.stop();
    }
    expect(await down.probeBroker('edgefw/probe-box', 1000)).toEqual({ ok: false, error: 'the uplink is not running' });
  }, 30_000);
});
