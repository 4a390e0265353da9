import { chmodSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tightenStateDir } from '../../firmware/state/files.js';
import { finished, startCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/scratch.js';

const mode = (p: string): string => (statSync(p).mode & 0o777).toString(8);

describe('state directory and file modes', () => {
  const dirs: string[] = [];
  const tmp = (): string => {
    const d = tempDir('modes');
    dirs.push(d);
    return d;
  };
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('tightens what an older version or a copy by hand left wide: directories 0750, files 0640, never widening', () => {
    const root = tmp();
    const data = join(root, 'data');
    mkdirSync(join(data, 'gpio'), { recursive: true });
    chmodSync(data, 0o777);
    chmodSync(join(data, 'gpio'), 0o775);
    for (const [f, m] of [['boot-counter', 0o644], ['outbox.db', 0o666], ['box.key', 0o600], ['gpio/gpio18', 0o664], ['run-state.json', 0o400]] as const) {
      writeFileSync(join(data, f), 'x');
      chmodSync(join(data, f), m);
    }
    symlinkSync('/etc/hostname', join(data, 'link'));
    const changed = tightenStateDir(data);
    expect(changed.map((p) => p.slice(data.length)).sort()).toEqual(['', '/boot-counter', '/gpio', '/gpio/gpio18', '/outbox.db']);
    expect([mode(data), mode(join(data, 'gpio')), mode(join(data, 'boot-counter')), mode(join(data, 'outbox.db')), mode(join(data, 'gpio/gpio18'))]).toEqual(['750', '750', '640', '640', '640']);
    expect(mode(join(data, 'box.key'))).toBe('600');
    expect(mode(join(data, 'run-state.json'))).toBe('400');
    expect(tightenStateDir(data)).toEqual([]);
    expect(tightenStateDir(join(root, 'missing'))).toEqual([]);
  });

  it('`edgefw run` creates its data directory 0750 and every file in it 0640 or tighter (the key 0600)', async () => {
    const root = tmp();
    const data = join(root, 'data');
    const profile = join(root, 'box.yaml');
    writeFileSync(profile, `box: { id: modes-box }
uplink: { url: "mqtt://127.0.0.1:1", reconnect: { min: 5s, max: 10s } }
storage: { dir: ${JSON.stringify(data)} }
buses: { i2c: [{ name: i2c1, simulated: true }] }
devices: [{ id: env, type: bme280, bus: i2c1, address: 0x76, interval: 200 }]
`);
    const box = startCli(['run', '--profile', profile]);
    try {
      const deadline = Date.now() + 15_000;
      while (!readdirSafe(data).includes('outbox.db') || !readdirSafe(data).includes('run-state.json')) {
        if (Date.now() > deadline || box.exitCode !== null) throw new Error(`no outbox: ${box.out.stdout}${box.out.stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, 600)); // a commit or two
    } finally {
      box.kill('SIGTERM');
      await finished(box);
    }
    expect(mode(data)).toBe('750');
    const files = readdirSync(data);
    expect(files).toEqual(expect.arrayContaining(['boot-counter', 'box.key', 'box.key.pub', 'outbox.db', 'run-state.json']));
    for (const f of files) {
      const m = statSync(join(data, f)).mode & 0o777;
      // the public key may be world-readable by design; the directory keeps others out anyway
      expect(m & (f.endsWith('.pub') ? 0o133 : 0o137), `${f} is ${m.toString(8)}`).toBe(0);
    }
    expect(mode(join(data, 'box.key'))).toBe('600');
  }, 30_000);
});

function readdirSafe(d: string): string[] {
  try {
    return readdirSync(d);
  } catch {
    return [];
  }
}
