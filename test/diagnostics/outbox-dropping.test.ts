import { afterEach, describe, expect, it } from 'vitest';
import { healthSchema } from '../../config/diagnostics.js';
import { ManualClock } from '../../drivers/bus/clock.js';
import { HealthMonitor } from '../../firmware/diagnostics/health.js';
import { FaultRegistry } from '../../firmware/diagnostics/registry.js';
import { Scheduler } from '../../firmware/loop/scheduler.js';
import type { Sample } from '../../firmware/reading.js';
import { Uplink } from '../../firmware/uplink/uplink.js';
import { silentLog } from '../helpers/drivers.js';
import { freePort } from '../helpers/mosquitto.js';

/**
 * OUTBOX_DROPPING through the field path: the real uplink worker, no broker, a queue bound of
 * 50 samples; 120 samples arrive, 70 are dropped, and the health check raises the fault. With
 * no further drops the next check clears it. (The durable outbox will drop by its own policy and
 * report through the same uplink stats.)
 */
describe('OUTBOX_DROPPING', () => {
  let uplink: Uplink | undefined;
  let scheduler: Scheduler | undefined;
  afterEach(async () => {
    await uplink?.stop();
    scheduler?.stop();
  });

  it('is raised when the uplink drops readings and cleared when drops stop', async () => {
    scheduler = new Scheduler();
    const port = await freePort(); // nothing listens: the broker is away
    uplink = new Uplink(
      {
        config: { url: `mqtt://127.0.0.1:${port}`, clientId: 'drop-test', keepaliveMs: 10_000, prefix: 'edgefw', boxId: 'drop', boot: 1, firmware: 'test', reconnectMinMs: 5000, reconnectMaxMs: 5000, maxSamplesPerMessage: 10, inflightWindow: 4, memoryQueueLimit: 50 },
        batchMaxSamples: 10,
        batchMaxDelayMs: 20,
      },
      scheduler,
      silentLog,
    );
    uplink.start();
    const clock = new ManualClock();
    const reg = new FaultRegistry(clock);
    const monitor = new HealthMonitor({
      config: { ...healthSchema.parse({ root: '/nonexistent' }), diskMinFreeMb: 0, diskMinFreePercent: 0 },
      dataDir: '/tmp',
      faults: reg,
      scheduler,
      clock,
      uplink: () => (uplink as Uplink).stats(),
      sampling: [],
    });
    for (let i = 0; i < 120; i++) {
      const s: Sample = { device: 'env', kind: 'sample', monoMs: i, wallMs: Date.UTC(2026, 0, 1) + i, timeSource: 'assumed', values: [{ channel: 'temperature', value: 20 + i / 100, unit: '°C' }] };
      uplink.submit(s);
    }
    uplink.flush();
    const deadline = Date.now() + 5000;
    while (uplink.stats().dropped < 70 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(uplink.stats()).toMatchObject({ received: 120, dropped: 70, pending: 50 });
    await monitor.check();
    expect(reg.active().map((f) => `${f.code}@${f.subject}`)).toEqual(['OUTBOX_DROPPING@uplink']);
    expect(reg.active()[0]?.message).toBe('70 readings dropped since the last check (70 in total, 50 waiting)');
    await monitor.check();
    expect(reg.active()).toEqual([]);
  });
});
