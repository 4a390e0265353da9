import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { carryNativeBuilds } from '../../tools/lifecycle/update.js';
import { tempDir } from '../helpers/scratch.js';

/**
 * An arm box updating to a bundle built on x86: the bundle carries the native modules' sources
 * only (`buildOnTarget`). A module whose version did not change takes its build from the
 * running release; one that changed is left to `npm rebuild` on the box.
 */
describe('native builds across an update', () => {
  const dir = tempDir('native');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const pkg = (root: string, path: string, version: string, built: boolean): void => {
    mkdirSync(join(root, path), { recursive: true });
    writeFileSync(join(root, path, 'package.json'), JSON.stringify({ name: path.split('/').pop(), version }));
    if (built) {
      mkdirSync(join(root, path, 'build/Release'), { recursive: true });
      writeFileSync(join(root, path, 'build/Release/binding.node'), `built ${version}`);
    }
  };

  it('carries a same-version build over and leaves a changed module to be built', () => {
    const running = join(dir, 'releases/1.0.0');
    const staged = join(dir, 'releases/.staging-1.1.0');
    pkg(running, 'node_modules/better-sqlite3', '12.11.1', true);
    pkg(running, 'node_modules/i2c-bus', '5.2.3', true);
    pkg(running, 'node_modules/epoll', '4.0.2', false); // never built there
    pkg(staged, 'node_modules/better-sqlite3', '12.11.1', false);
    pkg(staged, 'node_modules/i2c-bus', '5.3.0', false);
    pkg(staged, 'node_modules/epoll', '4.0.2', false);
    const left = carryNativeBuilds(running, staged, [
      { name: 'better-sqlite3', version: '12.11.1', path: 'node_modules/better-sqlite3' },
      { name: 'i2c-bus', version: '5.3.0', path: 'node_modules/i2c-bus' },
      { name: 'epoll', version: '4.0.2', path: 'node_modules/epoll' },
    ]);
    expect(readFileSync(join(staged, 'node_modules/better-sqlite3/build/Release/binding.node'), 'utf8')).toBe('built 12.11.1');
    expect(existsSync(join(staged, 'node_modules/i2c-bus/build'))).toBe(false);
    expect(left.map((n) => n.name)).toEqual(['i2c-bus', 'epoll']);
  });
});
