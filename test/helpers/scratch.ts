import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * What a test leaves on the machine: temporary directories and child processes (runtimes,
 * brokers, socat pairs, harnesses). Everything made through tempDir() and track() is removed or
 * killed when its test ends, passed, failed or timed out (test/helpers/setup.ts runs the
 * clean-up from afterEach and afterAll, which vitest runs in every case). Made inside a test it
 * lives until that test ends; made in a beforeAll or at import, until its file ends. A helper
 * whose object outlives one test (a broker a describe shares) asks for 'file'.
 */
export type Scope = 'test' | 'file';

interface Owned {
  readonly dirs: Set<string>;
  readonly children: Set<ChildProcess>;
  readonly finals: (() => void | Promise<void>)[];
}

// one registry per worker process, whatever module instance a file loads
const shared = globalThis as typeof globalThis & { __edgefwScratch?: Record<Scope, Owned> };
const owned: Record<Scope, Owned> = (shared.__edgefwScratch ??= {
  test: { dirs: new Set(), children: new Set(), finals: [] },
  file: { dirs: new Set(), children: new Set(), finals: [] },
});
let inTest = false;

function scopeOf(scope: Scope | undefined): Owned {
  return owned[scope ?? (inTest ? 'test' : 'file')];
}

/** A fresh directory under the system temp dir, named edgefw-<prefix>-XXXXXX, removed at the end of its scope. */
export function tempDir(prefix: string, scope?: Scope): string {
  const dir = mkdtempSync(join(tmpdir(), `edgefw-${prefix}-`));
  scopeOf(scope).dirs.add(dir);
  return dir;
}

/** Kill `child` (SIGKILL) at the end of its scope if it still runs. */
export function track<T extends ChildProcess>(child: T, scope?: Scope): T {
  const set = scopeOf(scope).children;
  set.add(child);
  child.once('exit', () => set.delete(child));
  return child;
}

function running(c: ChildProcess): boolean {
  return c.exitCode === null && c.signalCode === null && c.pid !== undefined;
}

function killHard(c: ChildProcess): void {
  if (running(c)) c.kill('SIGKILL');
}

/** Run `fn` at the end of its scope (before its directories go): an unmount, a close. Errors are reported, not thrown. */
export function atEnd(fn: () => void | Promise<void>, scope?: Scope): void {
  scopeOf(scope).finals.push(fn);
}

async function release(o: Owned): Promise<void> {
  for (const fn of o.finals.splice(0).reverse()) {
    try {
      await fn();
    } catch (e) {
      console.warn(`test clean-up failed: ${(e as Error).message}`);
    }
  }
  const kids = [...o.children];
  o.children.clear();
  await Promise.all(
    kids.filter(running).map(
      (c) =>
        new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 5000); // a process in uninterruptible sleep: do not hang the suite on it
          c.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
          killHard(c);
        }),
    ),
  );
  for (const d of o.dirs) {
    try {
      rmSync(d, { recursive: true, force: true, maxRetries: 3 });
    } catch (e) {
      console.warn(`test clean-up could not remove ${d}: ${(e as Error).message}`);
    }
  }
  o.dirs.clear();
}

/** @internal setup.ts: a test begins. */
export function testStarted(): void {
  inTest = true;
}

/** @internal setup.ts: a test ended, whatever its outcome. */
export async function testEnded(): Promise<void> {
  inTest = false;
  await release(owned.test);
}

/** @internal setup.ts: a file ended. */
export async function fileEnded(): Promise<void> {
  inTest = false;
  await release(owned.test);
  await release(owned.file);
}

/** Last resort when the worker exits before its hooks ran: no process outlives it. */
export function killOnExit(): void {
  const g = shared as typeof shared & { __edgefwScratchExit?: boolean };
  if (g.__edgefwScratchExit) return;
  g.__edgefwScratchExit = true;
  process.once('exit', killAllNow);
}

function killAllNow(): void {
  for (const o of Object.values(owned)) for (const c of o.children) killHard(c);
}
