import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { Scheduler } from '../loop/scheduler.js';
import type { FromWorker, ToWorker } from './protocol.js';
import { MemoryQueue } from './queue.js';
import { UplinkSession } from './session.js';

/**
 * The uplink worker thread: encoding, MQTT and (with the durable outbox) storage run here so
 * that none of it delays the sampling thread. Talks to the sampling thread only by messages.
 */
const port = parentPort;
if (!port) throw new Error('uplink worker must run in a worker thread');

const send = (m: FromWorker): void => port.postMessage(m);

// Linux nice values are per thread: this thread (and only this one) yields the CPU to the
// sampling thread when both want it. Lowering one's own priority needs no privileges.
try {
  setPriority(0, 10);
} catch {
  /* not Linux, or not permitted: the thread split alone still keeps MQTT off the loop */
}
const scheduler = new Scheduler();
let session: UplinkSession | undefined;

port.on('message', (m: ToWorker) => {
  switch (m.t) {
    case 'init': {
      const queue = new MemoryQueue(m.config.memoryQueueLimit);
      session = new UplinkSession(m.config, queue, scheduler, {
        stats: (stats) => send({ t: 'stats', stats }),
        log: (level, msg, fields) => send({ t: 'log', level, msg, ...(fields ? { fields } : {}) }),
      });
      session.start();
      scheduler.every('uplink-stats', 1000, () => {
        if (session) send({ t: 'stats', stats: session.stats() });
      });
      return;
    }
    case 'samples':
      session?.submit(m.samples);
      return;
    case 'faults':
      session?.faults(m.active, m.events);
      return;
    case 'stop':
      void (session?.stop(1200) ?? Promise.resolve()).then(() => {
        if (session) send({ t: 'stats', stats: session.stats() });
        scheduler.stop();
        send({ t: 'stopped' });
      });
      return;
  }
});
