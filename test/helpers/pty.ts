import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A pseudo-terminal pair made by socat: `host` is the path the driver opens with the real
 * native serialport binding, `device` the path the simulator writes to. kill() removes both
 * ends mid-stream (an unplugged cable: the driver's read fails with EIO, the stream closes with
 * `disconnected: true`); start() brings the same paths back.
 */
export class PtyPair {
  readonly host: string;
  readonly device: string;
  private proc: ChildProcess | undefined;

  constructor(dir = mkdtempSync(join(tmpdir(), 'edgefw-pty-'))) {
    this.host = join(dir, 'host');
    this.device = join(dir, 'device');
  }

  static async open(): Promise<PtyPair> {
    const p = new PtyPair();
    await p.start();
    return p;
  }

  async start(): Promise<void> {
    const proc = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${this.host}`, `pty,raw,echo=0,link=${this.device}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.proc = proc;
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const end = performance.now() + 5000;
    while (!stderr.includes('starting data transfer loop') || !existsSync(this.host) || !existsSync(this.device)) {
      if (proc.exitCode !== null) throw new Error(`socat exited ${proc.exitCode}: ${stderr}`);
      if (performance.now() > end) throw new Error(`socat pty pair not ready after 5 s: ${stderr}`);
      await sleep(10);
    }
  }

  /** Pull the cable: socat exits and both pty ends disappear. */
  async kill(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    await exited;
    const end = performance.now() + 2000;
    while ((existsSync(this.host) || existsSync(this.device)) && performance.now() < end) await sleep(10);
  }
}
