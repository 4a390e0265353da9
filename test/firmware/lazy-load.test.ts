import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir, track } from '../helpers/scratch.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dir = tempDir('lazy');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Packages loaded on the main thread of `edgefw run` once it samples (dist/, as a box runs it). */
async function mainThreadPackages(profile: string): Promise<{ packages: Set<string>; modules: string[] }> {
  const file = join(dir, `profile-${Math.random().toString(36).slice(2)}.yaml`);
  const out = `${file}.modules.json`;
  writeFileSync(file, profile);
  const proc = track(
    spawn(process.execPath, ['--import', join(ROOT, 'dist/bench/footprint/count-modules.js'), join(ROOT, 'bin/edgefw.js'), 'run', '--profile', file], {
      env: { ...process.env, EDGEFW_MODULES_OUT: out },
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  try {
    let log = '';
    // the uplink worker's first connection failure: start() has returned, devices are probing
    await new Promise<void>((res, rej) => {
      proc.stdout.on('data', (d: Buffer) => {
        log += d.toString();
        if (log.includes('"msg":"broker error"')) res();
      });
      proc.once('exit', (code) => rej(new Error(`edgefw run exited (${code}) before it ran:\n${log}`)));
    });
    proc.kill('SIGUSR2');
    for (let i = 0; i < 200 && !existsSync(out); i++) await new Promise((r) => setTimeout(r, 50));
    const modules = JSON.parse(readFileSync(out, 'utf8')) as string[];
    const packages = new Set(modules.map((u) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u)?.[1]).filter((p): p is string => p !== undefined));
    return { packages, modules };
  } finally {
    proc.kill('SIGKILL');
  }
}

const base = (storage: string): string => `
box: { id: lazy-test }
uplink: { url: 'mqtt://127.0.0.1:1', reconnect: { min: 100, max: 200 } }
clock: { assumeTrusted: true }
storage: { dir: ${storage} }
`;

describe('edgefw run loads only what its profile uses', () => {
  it('an I²C-only box: no serial, Modbus, Firmata, SQLite, MQTT (worker), profile parser and schemas (check thread), pretty logs or simulators on the sampling thread', async () => {
    const { packages, modules } = await mainThreadPackages(`${base(join(dir, 'i2c'))}
buses: { i2c: [ { name: i2c1, bus: 1 } ] }
devices:
  - { id: env, type: bme280, bus: i2c1, address: 0x76, interval: 1s }
`);
    expect(packages.has('i2c-bus'), 'the real I²C backend is loaded').toBe(true);
    for (const p of ['serialport', '@serialport/stream', 'modbus-serial', 'johnny-five', 'firmata-io', 'better-sqlite3', 'mqtt', 'pino-pretty', 'aedes', 'onoff', 'zod', 'yaml']) {
      expect(packages.has(p), `${p} on the sampling thread`).toBe(false);
    }
    expect(modules.filter((u) => u.includes('/drivers/sim/') || u.endsWith('/simulator.js')), 'simulators').toEqual([]);
    expect(modules.filter((u) => /\/(schema|schema-parts|load|check-worker)\.js$/.test(u)), 'profile schemas and loader').toEqual([]);
  }, 60_000);

  it('a simulated bus loads the simulator layer (the check above can tell)', async () => {
    const { modules } = await mainThreadPackages(`${base(join(dir, 'sim'))}
buses: { i2c: [ { name: i2c1, simulated: true } ] }
devices:
  - { id: env, type: bme280, bus: i2c1, address: 0x76, interval: 1s }
`);
    expect(modules.some((u) => u.endsWith('/drivers/sim/registry.js'))).toBe(true);
    expect(modules.some((u) => u.endsWith('/bme280/simulator.js'))).toBe(true);
  }, 60_000);
});
