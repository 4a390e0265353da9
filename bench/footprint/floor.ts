/**
 * The "floor" contender of `bench footprint`: edgefw's shape with none of its features — what
 * two threads, mqtt.js and SQLite cost on this Node before any firmware runs. A sampling thread
 * makes 20 readings every 100 ms on one timer and hands them to an uplink thread in batches of
 * 50; the uplink thread inserts each batch into a WAL-mode SQLite file (fsync'd commits, as the
 * outbox), publishes it QoS 1 and deletes it when the broker acknowledges. No profile, checks,
 * diagnostics, commands, status, logs or reconnect handling: the least any design with a
 * sampling thread kept free of I/O and a durable uplink can weigh (docs/footprint.md).
 * Run by the benchmark as its own process: node floor.js <url> <topic> <devices> <intervalMs> <batch> <dir>
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

interface Args { url: string; topic: string; devices: number; intervalMs: number; batch: number; dir: string }

if (isMainThread) {
  const [url = 'mqtt://127.0.0.1:1883', topic = 'bench/floor/telemetry', devices = '20', intervalMs = '100', batch = '50', dir = '.'] = process.argv.slice(2);
  const args: Args = { url, topic, devices: Number(devices), intervalMs: Number(intervalMs), batch: Number(batch), dir };
  // the same young-generation cap as edgefw's uplink worker
  const w = new Worker(new URL(import.meta.url), { workerData: args, resourceLimits: { maxYoungGenerationSizeMb: 4 } });
  const seq = new Array<number>(args.devices).fill(0);
  let pending: unknown[] = [];
  setInterval(() => {
    const t = Date.now();
    for (let i = 0; i < args.devices; i++) {
      seq[i] = (seq[i] as number) + 1;
      pending.push({ dev: `d${i}`, seq: seq[i], kind: 'reading', t, tq: 'ntp', v: { temperature: 21 + Math.random(), humidity: 45 + Math.random() * 5, pressure: 1013 + Math.random() } });
      if (pending.length >= args.batch) {
        w.postMessage(pending);
        pending = [];
      }
    }
  }, args.intervalMs);
  process.on('SIGTERM', () => w.postMessage('stop'));
  w.on('exit', () => process.exit(0));
} else {
  const args = workerData as Args;
  const require = createRequire(import.meta.url);
  const mqtt = require('mqtt') as typeof import('mqtt');
  const Database = require('better-sqlite3') as typeof import('better-sqlite3').default;
  const db = new Database(join(args.dir, 'floor.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE IF NOT EXISTS batch (id INTEGER PRIMARY KEY, body BLOB NOT NULL)');
  const insert = db.prepare('INSERT INTO batch (body) VALUES (?)');
  const remove = db.prepare('DELETE FROM batch WHERE id = ?');
  const client = mqtt.connect(args.url, { clientId: `bench-floor-${process.pid}`, protocolVersion: 5, writeCache: false });
  parentPort?.on('message', (m: unknown) => {
    if (m === 'stop') {
      client.end(false, {}, () => process.exit(0));
      return;
    }
    const body = Buffer.from(JSON.stringify({ v: 1, samples: m }));
    const id = insert.run(body).lastInsertRowid;
    client.publish(args.topic, body, { qos: 1 }, (e) => {
      if (!e) remove.run(id);
    });
  });
}
