import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { tempDir, track } from './scratch.js';

/**
 * Stands in for systemd's notify socket: a separate process binds a unix datagram socket and
 * prints each datagram with the wall time it arrived. Separate, so a test can block its own
 * event loop and still learn exactly when (and whether) notifications arrived.
 */
export class NotifyHarness {
  readonly messages: { atMs: number; text: string }[] = [];
  private constructor(
    readonly path: string,
    private readonly dir: string,
    private readonly proc: ChildProcess,
  ) {}

  static async start(): Promise<NotifyHarness> {
    const dir = tempDir('notify', 'file');
    const path = join(dir, 'notify.sock');
    const script = [
      "const u = require('unix-dgram');",
      "const s = u.createSocket('unix_dgram', (b) => process.stdout.write(JSON.stringify({ atMs: Date.now(), text: b.toString('utf8') }) + '\\n'));",
      "s.on('listening', () => process.stdout.write('{\"listening\":true}\\n'));",
      's.bind(process.argv[1]);',
    ].join('\n');
    const proc = track(spawn(process.execPath, ['-e', script, path], { cwd: new URL('../..', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'inherit'] }), 'file');
    const h = new NotifyHarness(path, dir, proc);
    await new Promise<void>((resolve, reject) => {
      const rl = createInterface({ input: proc.stdout as NodeJS.ReadableStream });
      rl.on('line', (line) => {
        const m = JSON.parse(line) as { listening?: boolean; atMs: number; text: string };
        if (m.listening) resolve();
        else h.messages.push({ atMs: m.atMs, text: m.text });
      });
      proc.once('exit', (code) => reject(new Error(`notify harness exited ${code}`)));
    });
    return h;
  }

  /** Messages whose text contains `state` (e.g. "WATCHDOG=1"). */
  with(state: string): { atMs: number; text: string }[] {
    return this.messages.filter((m) => m.text.split('\n').includes(state));
  }

  async waitFor(what: string, predicate: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.messages)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stop(): Promise<void> {
    this.proc.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
