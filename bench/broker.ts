import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt from 'mqtt';

/** A Mosquitto on a free loopback port for benchmarks (apt-get install mosquitto). */
export async function startBenchBroker(options: { nice?: number } = {}): Promise<{ url: string; stop(): void }> {
  const bin = process.env.MOSQUITTO_BIN ?? '/usr/sbin/mosquitto';
  if (!existsSync(bin)) throw new Error(`benchmarks need Mosquitto at ${bin} (apt-get install mosquitto, or set MOSQUITTO_BIN)`);
  const port = await new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
  const dir = mkdtempSync(join(tmpdir(), 'edgefw-bench-'));
  writeFileSync(join(dir, 'm.conf'), `listener ${port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\nmax_inflight_messages 0\npersistence false\n`);
  // The broker runs at the same priority as what is measured against it: a niced broker makes a
  // contender that competes with it for the two cores look better than it is.
  // EDGEFW_BENCH_BROKER_NICE=19 reproduces the older, asymmetric figures.
  const nice = String(options.nice ?? process.env.EDGEFW_BENCH_BROKER_NICE ?? '0');
  const proc: ChildProcess = nice !== '0' ? spawn('nice', ['-n', nice, bin, '-c', join(dir, 'm.conf')], { stdio: 'ignore' }) : spawn(bin, ['-c', join(dir, 'm.conf')], { stdio: 'ignore' });
  const url = `mqtt://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 500 });
      const done = (v: boolean): void => {
        c.end(true);
        resolve(v);
      };
      c.once('connect', () => done(true));
      c.once('error', () => done(false));
      c.once('close', () => done(false));
    });
    if (ok) {
      return {
        url,
        stop: () => {
          proc.kill('SIGKILL');
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    await sleep(50);
  }
  proc.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
  throw new Error('mosquitto did not start');
}
