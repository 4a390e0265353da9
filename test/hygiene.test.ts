import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { atEnd, tempDir, track } from './helpers/scratch.js';

/**
 * The tests leave nothing on the machine: what a test makes through test/helpers/scratch.ts is
 * gone when it ends (test/helpers/setup.ts), and every test file goes through it.
 */
describe('clean-up after each test', () => {
  const left: { dir?: string; child?: ChildProcess; ended?: string[] } = {};

  it('a test makes a directory with a file in it, starts a process and asks for a final step', () => {
    left.dir = tempDir('hygiene');
    writeFileSync(join(left.dir, 'reading.json'), '{}');
    left.child = track(spawn('sleep', ['300'], { stdio: 'ignore' }));
    left.ended = [];
    const ended = left.ended;
    atEnd(() => void ended.push('final step'));
    expect(existsSync(left.dir)).toBe(true);
    expect(left.child.pid).toBeGreaterThan(0);
  });

  it('the next test finds the directory removed, the process killed and the final step run', () => {
    expect(left.dir && existsSync(left.dir)).toBe(false);
    expect(left.child?.signalCode).toBe('SIGKILL');
    expect(left.ended).toEqual(['final step']);
  });
});

describe('every test file goes through the clean-up helper', () => {
  const root = new URL('.', import.meta.url).pathname;
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
  const sources = files(root)
    .filter((f) => !f.endsWith('helpers/scratch.ts') && !f.endsWith('hygiene.test.ts'))
    .map((f) => ({ file: relative(root, f), text: readFileSync(f, 'utf8') }));

  it('no test makes a directory in the system temp dir itself (tempDir() removes it when the test ends)', () => {
    expect(sources.length).toBeGreaterThan(100);
    const offenders = sources.filter((s) => /mkdtemp(Sync)?\(\s*join\(\s*tmpdir\(\)/.test(s.text)).map((s) => s.file);
    expect(offenders).toEqual([]);
  });

  it('a test file that starts processes hands them to track() (killed when the test ends, also on a failure)', () => {
    const offenders = sources.filter((s) => /\bspawn\(/.test(s.text) && !/\btrack\(/.test(s.text)).map((s) => s.file);
    expect(offenders).toEqual([]);
  });
});
