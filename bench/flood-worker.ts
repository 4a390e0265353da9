import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import mqtt from 'mqtt';
import { publishFlood } from './flood.js';

/** The same full-rate publisher as the baseline's, on its own thread (where edgefw's uplink runs). */
const { url, seconds } = workerData as { url: string; seconds: number };
setPriority(0, 10); // as the uplink worker does (firmware/uplink/worker.ts)
const client = mqtt.connect(url, { clientId: `bench-flood-${process.pid}`, queueQoSZero: false });
client.once('connect', () => {
  const flood = publishFlood(client);
  parentPort?.postMessage({ t: 'started' });
  parentPort?.on('message', (m: { t: string }) => {
    if (m.t === 'stop') {
      const published = flood.stop();
      client.end(true, {}, () => parentPort?.postMessage({ t: 'stopped', published, seconds }));
    }
  });
});
