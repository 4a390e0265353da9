import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, writeKeyFiles } from '../../firmware/security/keys.js';
import { buildBundle } from '../../tools/lifecycle/bundle.js';
import { MANIFEST_FILE, manifestSchema } from '../../tools/lifecycle/manifest.js';
import { BundleRefused, checkBundle, unpackBundle } from '../../tools/lifecycle/release.js';
import { REPO, releaseSource, scratchDir } from '../helpers/box.js';

/**
 * The release bundle: what goes in, what a box checks before it writes a byte, and that a
 * production bundle runs on its own (no repository, no npm on the box).
 */
describe('release bundle', () => {
  let work: string;
  const pair = generateKeyPair();
  const other = generateKeyPair();
  const box = { trusted: [pair.publicKey], target: 'linux-x64' as const, node: process.versions.node, maxBytes: 1 << 30 };
  let small: string;

  beforeAll(async () => {
    work = scratchDir('bundle');
    writeKeyFiles(join(work, 'release.key'), pair);
    small = join(work, 'small.tar.gz');
    await buildBundle({ repo: releaseSource(work, '2.0.0'), target: 'linux-x64', ...pair, out: small, deps: 'none' });
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /** Re-pack a bundle's members (manifest and signature first) after `edit` changed the tree. */
  function repack(from: string, name: string, edit: (dir: string) => void, extra: string[] = []): string {
    const dir = join(work, `${name}.d`);
    mkdirSync(dir, { recursive: true });
    expect(spawnSync('tar', ['-xzf', from, '-C', dir]).status).toBe(0);
    const members = spawnSync('tar', ['-tzf', from], { encoding: 'utf8' }).stdout.trim().split('\n');
    edit(dir);
    const out = join(work, `${name}.tar.gz`);
    const r = spawnSync('tar', ['--format=gnu', '-czf', out, '-C', dir, '--no-recursion', ...members, ...extra], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return out;
  }

  it('holds a signed manifest with every file, its size and SHA-256, and unpacks to exactly that', async () => {
    const m = await checkBundle(small, box);
    expect(m).toMatchObject({ version: '2.0.0', target: 'linux-x64', name: 'edgefw' });
    expect(m.files.map((f) => f.path)).toEqual(expect.arrayContaining(['package.json', 'bin/edgefw.js', 'dist/tools/cli.js', 'dist/tools/lifecycle/guard.js', 'tools/systemd/edgefw.service', 'tools/systemd/99-edgefw.rules']));
    expect(m.files.some((f) => f.path.endsWith('.map'))).toBe(false);
    const dest = join(work, 'unpacked');
    await unpackBundle(small, m, dest);
    const cli = m.files.find((f) => f.path === 'dist/tools/cli.js');
    expect(readFileSync(join(dest, 'dist/tools/cli.js')).length).toBe(cli?.size);
    expect(JSON.parse(readFileSync(join(dest, 'package.json'), 'utf8')).version).toBe('2.0.0');
    expect(manifestSchema.parse(JSON.parse(readFileSync(join(dest, MANIFEST_FILE), 'utf8'))).files.length).toBe(m.files.length);
  });

  it('refuses a bundle signed by a key the box does not trust, for another target, or for another Node', async () => {
    await expect(checkBundle(small, { ...box, trusted: [other.publicKey] })).rejects.toMatchObject({ reason: 'signature' });
    await expect(checkBundle(small, { ...box, target: 'linux-armv7' })).rejects.toMatchObject({ reason: 'target', message: 'bundle is for linux-x64; this box is linux-armv7' });
    await expect(checkBundle(small, { ...box, node: '18.19.0' })).rejects.toMatchObject({ reason: 'node' });
    await expect(checkBundle(small, { ...box, floor: '2.0.1' })).rejects.toMatchObject({ reason: 'downgrade' });
    await expect(checkBundle(small, { ...box, trusted: [] })).rejects.toMatchObject({ reason: 'signature', message: expect.stringMatching(/trusts no release key/) });
  });

  it('refuses a changed manifest (signature), a changed file (digest), an extra file, a symlink and a truncated file', async () => {
    const forged = repack(small, 'forged', (d) => {
      const m = JSON.parse(readFileSync(join(d, MANIFEST_FILE), 'utf8'));
      m.version = '9.9.9';
      writeFileSync(join(d, MANIFEST_FILE), `${JSON.stringify(m, null, 1)}\n`);
    });
    await expect(checkBundle(forged, box)).rejects.toMatchObject({ reason: 'signature' });

    const changed = repack(small, 'changed', (d) => writeFileSync(join(d, 'dist/tools/cli.js'), readFileSync(join(d, 'dist/tools/cli.js'), 'utf8').replace('edgefw', 'EDGEFW')));
    const m = await checkBundle(changed, box); // the head is intact: only unpacking finds it
    await expect(unpackBundle(changed, m, join(work, 'x1'))).rejects.toMatchObject({ reason: 'digest', message: expect.stringMatching(/dist\/tools\/cli\.js: SHA-256 .* does not match/) });

    const extra = repack(small, 'extra', (d) => writeFileSync(join(d, 'evil.js'), 'x'), ['evil.js']);
    await expect(unpackBundle(extra, m, join(work, 'x2'))).rejects.toMatchObject({ reason: 'digest', message: 'evil.js: not in the signed manifest' });

    const link = repack(small, 'link', (d) => symlinkSync('/etc/passwd', join(d, 'passwd')), ['passwd']);
    await expect(unpackBundle(link, m, join(work, 'x3'))).rejects.toMatchObject({ reason: 'format', message: expect.stringMatching(/passwd: entry type '2' is not allowed/) });

    const whole = readFileSync(small);
    const cut = join(work, 'cut.tar.gz');
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    await expect(unpackBundle(cut, m, join(work, 'x4'))).rejects.toBeInstanceOf(BundleRefused);
    writeFileSync(cut, Buffer.from('not a bundle at all'));
    await expect(checkBundle(cut, box)).rejects.toMatchObject({ reason: 'format' });
  });

  it('a production bundle for linux-x64 carries its dependencies and native modules, and runs with no repository beside it', async () => {
    const out = join(work, 'prod.tar.gz');
    const t0 = performance.now();
    const r = await buildBundle({ repo: REPO, target: 'linux-x64', ...pair, out });
    const ms = performance.now() - t0;
    const m = r.manifest;
    expect(m.node).toMatch(/^>=\d+\.0\.0 <\d+\.0\.0$/); // compiled native modules pin the Node major
    expect(m.native.map((n) => n.name)).toEqual(expect.arrayContaining(['better-sqlite3', 'i2c-bus', 'epoll', 'unix-dgram', '@serialport/bindings-cpp']));
    expect(m.buildOnTarget).toEqual([]);
    const paths = new Set(m.files.map((f) => f.path));
    expect(paths.has('node_modules/better-sqlite3/build/Release/better_sqlite3.node')).toBe(true);
    expect(paths.has('firmware/site/static/index.html')).toBe(true); // the technician page, read beside dist/
    expect([...paths].some((p) => p.startsWith('node_modules/vitest/') || p.startsWith('node_modules/typescript/'))).toBe(false);
    expect([...paths].some((p) => p.includes('/obj.target/'))).toBe(false);
    const dest = join(work, 'prod');
    await unpackBundle(out, await checkBundle(out, box), dest);
    const run = spawnSync(process.execPath, ['dist/tools/cli.js', 'config', 'check', 'config/profiles/demo.yaml'], { cwd: dest, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    // the native SQLite binding loads from the release itself
    const sqlite = spawnSync(process.execPath, ['-e', "const D=require('better-sqlite3');new D(':memory:').prepare('select 1').get();console.log(require.resolve('better-sqlite3'))"], { cwd: dest, encoding: 'utf8' });
    expect(sqlite.status, sqlite.stderr).toBe(0);
    expect(sqlite.stdout.trim().startsWith(dest)).toBe(true);
    console.info(`production bundle linux-x64: ${r.files} files, ${(m.bytes / 1048576).toFixed(1)} MB unpacked, ${(r.bytes / 1048576).toFixed(1)} MB file, built in ${(ms / 1000).toFixed(1)} s`);

    // an arm64 bundle cannot ship this machine's compiled modules: sources go in, listed to build on the box
    const arm = await buildBundle({ repo: REPO, target: 'linux-arm64', ...pair, out: join(work, 'arm.tar.gz') });
    expect(arm.manifest.buildOnTarget.map((n) => n.name).sort()).toEqual(['@serialport/bindings', 'better-sqlite3', 'epoll', 'i2c-bus', 'unix-dgram']);
    expect(arm.manifest.native.map((n) => n.name)).toEqual(['@serialport/bindings-cpp']);
    const armPaths = arm.manifest.files.map((f) => f.path);
    expect(armPaths.some((p) => p.endsWith('.node') && !p.includes('prebuilds/linux-arm64/'))).toBe(false);
    expect(armPaths).toContain('node_modules/better-sqlite3/binding.gyp');
    expect(armPaths.some((p) => p.startsWith('node_modules/better-sqlite3/deps/'))).toBe(true);
  }, 180_000);
});
