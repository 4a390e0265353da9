import { StartupError } from '../startup-error.js';
import { startWorker } from '../worker-thread.js';

/** A running embedded broker. */
export interface EmbeddedBroker {
  readonly port: number;
  stop(): Promise<void>;
}

/** Start aedes in a worker thread on host:port; rejects with a clear message if the port is taken. */
export function startEmbeddedBroker(host: string, port: number): Promise<EmbeddedBroker> {
  const w = startWorker(import.meta.url, 'worker', { workerData: { host, port } });
  return new Promise((resolve, reject) => {
    w.once('error', reject);
    w.on('message', (m: { t: string; port?: number; message?: string }) => {
      if (m.t === 'listening') {
        resolve({
          port: m.port ?? port,
          stop: () =>
            new Promise<void>((done) => {
              const t = setTimeout(() => void w.terminate().then(() => done()), 500);
              w.once('message', () => {
                clearTimeout(t);
                void w.terminate().then(() => done());
              });
              w.postMessage({ t: 'stop' });
            }),
        });
      } else if (m.t === 'error') {
        void w.terminate();
        reject(new StartupError('uplink.embeddedBroker.port', `the embedded broker cannot listen: ${m.message}; choose a free port in the profile (uplink.embeddedBroker.port) or stop the other broker`));
      }
    });
  });
}
