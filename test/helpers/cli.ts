import { type ChildProcess, spawn } from 'node:child_process';
import { track } from './scratch.js';

/** The built command line, as a box runs it (npm test builds dist/ first). */
export const CLI = 'dist/tools/cli.js';

export interface Done {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCli(args: readonly string[], timeoutMs = 15_000): Promise<Done> {
  const child = startCli(args);
  return finished(child, timeoutMs);
}

/** Start the CLI (`env` on top of this process's); it is killed when the test that started it ends, if it still runs then. */
export function startCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): ChildProcess & { out: { stdout: string; stderr: string } } {
  const child = track(spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, EDGEFW_LOG_LEVEL: process.env.EDGEFW_LOG_LEVEL ?? 'info', ...env } }));
  const out = { stdout: '', stderr: '' };
  child.stdout?.on('data', (d: Buffer) => {
    out.stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out.stderr += d.toString();
  });
  return Object.assign(child, { out });
}

export function finished(child: ChildProcess & { out?: { stdout: string; stderr: string } }, timeoutMs = 15_000): Promise<Done> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`CLI did not exit within ${timeoutMs} ms: ${child.out?.stdout ?? ''}${child.out?.stderr ?? ''}`));
    }, timeoutMs);
    const done = (code: number | null, signal: NodeJS.Signals | null): void => {
      clearTimeout(t);
      resolve({ code, signal, stdout: child.out?.stdout ?? '', stderr: child.out?.stderr ?? '' });
    };
    if (child.exitCode !== null || child.signalCode !== null) done(child.exitCode, child.signalCode);
    else child.once('exit', done);
  });
}
