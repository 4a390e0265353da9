import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { KeyObject } from 'node:crypto';
import { MANIFEST_FILE, type Manifest, SIGNATURE_FILE, type Target, hostTarget, sha256, signManifest } from './manifest.js';

/**
 * `edgefw bundle`: one signed file per target with everything a box runs — the compiled
 * JavaScript (dist/), the production dependencies and, where they can be had here, their native
 * modules for the target. Packing uses the system GNU `tar` (sorted members, owner 0, a fixed
 * mtime) and node's gzip; unpacking on the box is our own bounded reader (tar.ts).
 *
 * Native modules: serialport's binding ships N-API prebuilds for every target and is kept for
 * the target only. The others (better-sqlite3, i2c-bus, epoll for onoff, unix-dgram, johnny-five's
 * serialport 8 binding) are compiled: for the machine's own target the build here is shipped
 * (`native`), for another target the sources go in and the manifest lists them in
 * `buildOnTarget` (the box runs `npm rebuild` once, or the update carries the previous
 * release's build over when the module version is unchanged: docs/install.md).
 */
export interface BundleOptions {
  /** the source tree: package.json, dist/ (built), bin/, node_modules/ */
  readonly repo: string;
  readonly target: Target;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** output file (default <repo>/bundles/edgefw-<version>-<target>.tar.gz) */
  readonly out?: string;
  /** 'none' leaves node_modules out (test bundles of the current dist; not for boxes) */
  readonly deps?: 'production' | 'none';
  /** override package.json's version (test bundles) */
  readonly version?: string;
  /** mtime of every member, seconds (SOURCE_DATE_EPOCH); default the newest dist file */
  readonly epoch?: number;
}

export interface BundleResult {
  readonly file: string;
  readonly manifest: Manifest;
  readonly bytes: number;
  readonly files: number;
  readonly skippedLinks: number;
}

/** Files of a package that never run: types, source maps, docs, CI leftovers. */
const NEVER = /(\.d\.[cm]?ts|\.map|\.md|\.markdown|\.gyp\.orig|~)$/i;
const NEVER_DIRS = new Set(['.github', '.vscode', '.idea', 'test', 'tests', '__tests__', 'example', 'examples', 'benchmark', 'docs', 'node_modules', '.bin']);
const PREBUILD_DIR: Record<Target, string> = { 'linux-x64': 'linux-x64', 'linux-arm64': 'linux-arm64', 'linux-armv7': 'linux-arm' };

interface Collected {
  readonly rel: string;
  readonly abs: string;
}

function walk(root: string, dir: string, out: Collected[], counters: { links: number }, filter: (rel: string, isDir: boolean) => boolean): void {
  for (const name of readdirSync(dir).sort()) {
    const abs = join(dir, name);
    const rel = relative(root, abs);
    const st = lstatSync(abs);
    if (st.isSymbolicLink()) {
      counters.links++;
      continue;
    }
    if (!filter(rel, st.isDirectory())) continue;
    if (st.isDirectory()) walk(root, abs, out, counters, filter);
    else if (st.isFile()) out.push({ rel, abs });
  }
}

/** Production packages as npm sees them (paths relative to repo). */
function productionPackages(repo: string): string[] {
  // npm ls exits 1 over an extraneous or invalid package and still lists the tree
  const r = spawnSync('npm', ['ls', '--omit=dev', '--parseable', '--all'], { cwd: repo, encoding: 'utf8', maxBuffer: 32 << 20, stdio: ['ignore', 'pipe', 'ignore'] });
  if (!r.stdout) throw new Error(`npm ls --omit=dev in ${repo} listed nothing (${r.error?.message ?? `exit ${r.status}`})`);
  return r.stdout
    .split('\n')
    .map((l) => relative(repo, l.trim()))
    .filter((r) => r.startsWith('node_modules/') && !r.includes('node_modules/@types/'));
}

export async function buildBundle(o: BundleOptions): Promise<BundleResult> {
  const repo = o.repo;
  if (!existsSync(join(repo, 'dist/tools/cli.js'))) throw new Error(`${join(repo, 'dist')} has no built CLI: run \`npm run build\` first`);
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string; dependencies?: Record<string, string>; engines?: { node?: string } };
  const version = o.version ?? pkg.version;
  const counters = { links: 0 };
  const files: Collected[] = [];
  walk(repo, join(repo, 'dist'), files, counters, (rel) => !rel.endsWith('.map') && !rel.endsWith('.tsbuildinfo') && !rel.startsWith('dist/test/'));
  for (const f of ['bin/edgefw.js', 'config/profile.schema.json', 'LICENSE', 'README.md']) if (existsSync(join(repo, f))) files.push({ rel: f, abs: join(repo, f) });
  walk(repo, join(repo, 'config/profiles'), files, counters, () => true);
  // files the compiled code reads beside the tree: the technician page (http-worker.ts staticDir)
  if (existsSync(join(repo, 'firmware/site/static'))) walk(repo, join(repo, 'firmware/site/static'), files, counters, () => true);
  walk(repo, join(repo, 'tools/systemd'), files, counters, () => true);

  const native: Manifest['native'] = [];
  const buildOnTarget: Manifest['buildOnTarget'] = [];
  const here = hostTarget();
  if ((o.deps ?? 'production') === 'production') {
    for (const dir of productionPackages(repo)) {
      const abs = join(repo, dir);
      const meta = JSON.parse(readFileSync(join(abs, 'package.json'), 'utf8')) as { name: string; version: string };
      const gyp = existsSync(join(abs, 'binding.gyp'));
      const prebuilds = existsSync(join(abs, 'prebuilds', PREBUILD_DIR[o.target]));
      const built = gyp && here === o.target && existsSync(join(abs, 'build/Release'));
      if (gyp) (prebuilds || built ? native : buildOnTarget).push({ name: meta.name, version: meta.version, path: dir });
      walk(repo, abs, files, counters, (rel, isDir) => {
        const inner = rel.slice(dir.length + 1);
        const top = inner.split('/')[0] ?? '';
        if (isDir) {
          if (inner === top && NEVER_DIRS.has(top)) return false;
          if (inner.split('/').includes('node_modules')) return false;
          if (top === 'prebuilds' && inner !== 'prebuilds' && inner.split('/')[1] !== PREBUILD_DIR[o.target]) return false;
          // a build tree: only build/Release's .node files, and only for our own target
          if (gyp && top === 'build') return built && (inner === 'build' || inner === 'build/Release');
          return true;
        }
        if (gyp && top === 'build') return inner.endsWith('.node') && !inner.includes('test_extension');
        if (/^(LICEN[CS]E|COPYING)/i.test(inner.split('/').pop() ?? '')) return true;
        return !NEVER.test(inner);
      });
    }
  }

  // the release's own package.json: what `npm rebuild` on the box and FIRMWARE_VERSION read
  const stage = mkdtempSync(join(tmpdir(), 'edgefw-bundle-'));
  try {
    const releasePkg = { name: 'edgefw', version, type: 'module', license: 'Apache-2.0', engines: pkg.engines, bin: { edgefw: 'bin/edgefw.js' }, dependencies: pkg.dependencies };
    writeFileSync(join(stage, 'package.json'), `${JSON.stringify(releasePkg, null, 2)}\n`);
    const all: Collected[] = [{ rel: 'package.json', abs: join(stage, 'package.json') }, ...files].sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
    let newest = 0;
    let bytes = 0;
    const entries = all.map((f) => {
      const st = statSync(f.abs);
      newest = Math.max(newest, st.mtimeMs);
      bytes += st.size;
      return { path: f.rel, size: st.size, sha256: sha256(readFileSync(f.abs)), mode: st.mode & 0o111 ? 0o755 : 0o644 };
    });
    const ranges = native.length > 0 && here === o.target ? `>=${process.versions.node.split('.')[0]}.0.0 <${Number(process.versions.node.split('.')[0]) + 1}.0.0` : (pkg.engines?.node ?? '>=20');
    const manifest: Manifest = { v: 1, name: 'edgefw', version, target: o.target, node: ranges, created: new Date().toISOString(), native, buildOnTarget, files: entries, bytes };
    const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 1)}\n`);
    writeFileSync(join(stage, MANIFEST_FILE), manifestBytes);
    writeFileSync(join(stage, SIGNATURE_FILE), `${JSON.stringify(signManifest(manifestBytes, o.privateKey, o.publicKey))}\n`);

    const out = o.out ?? join(repo, 'bundles', `edgefw-${version}-${o.target}.tar.gz`);
    mkdirSync(dirname(out), { recursive: true });
    // members from two roots in one archive: the staging dir (manifest first), then the repo
    const list = join(stage, 'files.list');
    writeFileSync(list, `${all.filter((f) => f.rel !== 'package.json').map((f) => f.rel).join('\n')}\n`);
    const epoch = o.epoch ?? Math.floor(newest / 1000);
    const tar = spawn('tar', ['--format=gnu', '--owner=0', '--group=0', '--numeric-owner', `--mtime=@${epoch}`, '--mode=go-w', '--no-recursion', '-cf', '-', '-C', stage, MANIFEST_FILE, SIGNATURE_FILE, 'package.json', '-C', repo, '--verbatim-files-from', '-T', list], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    tar.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => tar.on('close', r));
    const tmpOut = `${out}.tmp`;
    await pipeline(tar.stdout, createGzip({ level: 9 }), createWriteStream(tmpOut));
    const code = await exited;
    if (code !== 0) throw new Error(`tar failed (${code}): ${err.trim()}`);
    renameSync(tmpOut, out);
    return { file: out, manifest, bytes: statSync(out).size, files: entries.length, skippedLinks: counters.links };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
