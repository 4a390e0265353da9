import { type Server, createServer } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { Aedes } from 'aedes';

/**
 * Embedded MQTT broker (aedes) for the demo and for laptops: a whole broker in its own thread
 * so the sampling loop never shares a thread with it. Not for production boxes; those talk to the
 * city's broker.
 */
const port = parentPort;
if (!port) throw new Error('broker worker must run in a worker thread');
const { host, port: tcpPort } = workerData as { host: string; port: number };

const aedes = await Aedes.createBroker();
const server: Server = createServer(aedes.handle);
server.on('error', (e: NodeJS.ErrnoException) => {
  port.postMessage({ t: 'error', message: e.code === 'EADDRINUSE' ? `port ${tcpPort} on ${host} is already in use (another broker running?)` : e.message });
});
server.listen(tcpPort, host, () => {
  const addr = server.address();
  port.postMessage({ t: 'listening', port: typeof addr === 'object' && addr ? addr.port : tcpPort });
});
port.on('message', (m: { t: string }) => {
  if (m.t === 'stop') {
    aedes.close(() => server.close(() => port.postMessage({ t: 'stopped' })));
  }
});
