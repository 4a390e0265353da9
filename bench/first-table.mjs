#!/usr/bin/env node
// Time from `npm start` to the first console table, as a newcomer waits for it: the same two
// steps as the start script (`npm run build`, then `edgefw run` on the demo profile with
// --console), the demo's embedded broker moved to a free port and its data to a temp dir so a
// demo already running is not disturbed. `--cold` deletes dist/ first (a fresh clone after
// `npm ci` has a built dist/ already: prepare runs the build). `--baseline` builds as `npm start`
// did before it was incremental: a full `tsc -p` of the build config, without build info.
//   node bench/first-table.mjs [--cold | --baseline] [--runs N]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const cold = process.argv.includes('--cold');
const baseline = process.argv.includes('--baseline');
const BASELINE_TSCONFIG = 'tsconfig.baseline-bench.json';
if (baseline) writeFileSync(BASELINE_TSCONFIG, JSON.stringify({ extends: './tsconfig.json', compilerOptions: { noEmit: false }, include: ['firmware', 'drivers', 'config', 'tools', 'bench', 'types'] }));
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] ?? 3) || 3;
const port = await new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const dir = mkdtempSync(join(tmpdir(), 'edgefw-first-'));
const profile = join(dir, 'demo.yaml');
writeFileSync(
  profile,
  readFileSync('config/profiles/demo.yaml', 'utf8')
    .replace(/port: 1883 \}/, `port: ${port} }`)
    .replace(/dir: \.edgefw-data/, `dir: ${join(dir, 'data')}`)
    .replace(/stateDir: \.edgefw-data\/gpio/, `stateDir: ${join(dir, 'gpio')}`),
);

const times = [];
for (let i = 0; i < runs; i++) {
  if (cold) rmSync('dist', { recursive: true, force: true });
  const t0 = performance.now();
  const build = baseline ? spawnSync('node_modules/.bin/tsc', ['-p', BASELINE_TSCONFIG], { stdio: 'inherit' }) : spawnSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(1);
  const tBuild = performance.now() - t0;
  const child = spawn(process.execPath, ['dist/tools/cli.js', 'run', '--profile', profile, '--console'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  const ms = await new Promise((resolve) => {
    child.stdout.on('data', (d) => {
      out += d.toString();
      if (out.includes('── box')) resolve(performance.now() - t0);
    });
  });
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  times.push(ms);
  console.log(`run ${i + 1}: build ${(tBuild / 1000).toFixed(1)} s, first table ${(ms / 1000).toFixed(1)} s`);
}
rmSync(dir, { recursive: true, force: true });
if (baseline) rmSync(BASELINE_TSCONFIG, { force: true });
times.sort((a, b) => a - b);
const s = (x) => `${(x / 1000).toFixed(1)} s`;
console.log(`${baseline ? 'baseline (a full tsc -p at every start, as before)' : cold ? 'cold (no dist/)' : 'warm (dist/ up to date)'}: first table min ${s(times[0])} median ${s(times[Math.floor(times.length / 2)])} max ${s(times.at(-1))}; load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
