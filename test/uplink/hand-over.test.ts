import { setImmediate as turn } from 'node:timers/promises';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Scheduler } from '../../firmware/loop/scheduler.js';
import { FakeTimers } from '../../firmware/loop/timers.js';
import type { Sample } from '../../firmware/reading.js';
import type { ToWorker } from '../../firmware/uplink/protocol.js';
import { Uplink, type UplinkOptions } from '../../firmware/uplink/uplink.js';

const config = {
  url: 'mqtt://127.0.0.1:1', clientId: 't', keepaliveMs: 30_000, prefix: 'p', boxId: 'b', boot: 1, firmware: 't',
  reconnectMinMs: 100, reconnectMaxMs: 1000, maxSamplesPerMessage: 50, inflightWindow: 16, memoryQueueLimit: 1000,
} as const;

/** The sampling thread's side of the seam with its messages caught where the worker would get them. */
function seam(options: Omit<UplinkOptions, 'config'>) {
  const timers = new FakeTimers();
  const scheduler = new Scheduler(timers);
  const uplink = new Uplink({ config, ...options }, scheduler, pino({ level: 'silent' }));
  const posted: ToWorker[] = [];
  // the worker thread itself is not started: what crosses to it is what is asserted
  (uplink as unknown as { worker: { postMessage(m: ToWorker): void } }).worker = { postMessage: (m) => void posted.push(m) };
  const batches = (): number[] => posted.flatMap((m) => (m.t === 'samples' ? [m.samples.length] : []));
  return { timers, scheduler, uplink, batches };
}

const sample = (device: string, monoMs: number): Sample => ({ device, kind: 'sample', monoMs, wallMs: 1e12 + monoMs, timeSource: 'assumed', values: [{ channel: 'temperature', value: 21.5, unit: '°C' }] });

describe('hand-over of readings to the uplink worker', () => {
  it('after the burst: the readings of one turn go over in one message, at the end of that turn, with no timer of its own', async () => {
    const { scheduler, uplink, batches } = seam({ batchMaxSamples: 50, batchMaxDelayMs: 50, flushAfterBurst: true });
    for (let d = 0; d < 20; d++) uplink.submit(sample(`d${d}`, 10));
    expect(batches()).toEqual([]); // not yet: the burst may go on in this turn
    await turn();
    expect(batches()).toEqual([20]);
    for (let d = 0; d < 3; d++) uplink.submit(sample(`d${d}`, 110));
    await turn();
    expect(batches()).toEqual([20, 3]);
    expect(scheduler.allStats().map((t) => t.name)).not.toContain('uplink-batch');
  });

  it('after the burst: a full batch goes at once, the rest at the end of the turn', async () => {
    const { uplink, batches } = seam({ batchMaxSamples: 8, batchMaxDelayMs: 50, flushAfterBurst: true });
    for (let d = 0; d < 20; d++) uplink.submit(sample(`d${d}`, 10));
    expect(batches()).toEqual([8, 8]);
    await turn();
    expect(batches()).toEqual([8, 8, 4]);
  });

  it('without it (no outbox): a partial batch goes over on the batch delay, on the scheduler', async () => {
    const { timers, scheduler, uplink, batches } = seam({ batchMaxSamples: 50, batchMaxDelayMs: 250 });
    uplink.startHandOver();
    await timers.advance(10);
    for (let d = 0; d < 20; d++) uplink.submit(sample(`d${d}`, 10));
    await turn();
    expect(batches()).toEqual([]);
    await timers.advance(240);
    expect(batches()).toEqual([20]);
    expect(scheduler.allStats().map((t) => t.name)).toContain('uplink-batch');
  });
});
