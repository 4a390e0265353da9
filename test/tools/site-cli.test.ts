/**
 * `edgefw site passphrase` and `edgefw support-bundle` through the built CLI, and `edgefw run`
 * from dist/ serving the page files (no copy step).
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { checkPassphrase } from '../../firmware/site/auth.js';
import { CLI, finished, runCli, startCli } from '../helpers/cli.js';
import { freePort } from '../helpers/mosquitto.js';
import { tempDir, track } from '../helpers/scratch.js';

function withStdin(args: readonly string[], input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = track(spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('edgefw site passphrase and support-bundle', () => {
  const dir = tempDir('site-cli');
  const profile = join(dir, 'box.yaml');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // the broker password lives in a file of its own (the loader refuses it in the profile or URL)
  writeFileSync(join(dir, 'broker-password'), 'hunter2-secret\n', { mode: 0o600 });
  writeFileSync(
    profile,
    `box: { id: cli-box-07, site: Lamp post 7 }
uplink: { url: 'mqtt://127.0.0.1:1', username: ops, passwordFile: broker-password }
storage: { dir: ${JSON.stringify(join(dir, 'data'))} }
buses: { i2c: [{ name: i2c1, simulated: true }] }
devices: [{ id: env, type: bme280, bus: i2c1, address: 0x76 }]
`,
  );

  it('sets the passphrase from stdin (hash only on disk) and refuses a short one with exit 2', async () => {
    const ok = await withStdin(['site', 'passphrase', '--profile', profile], 'cầu Long Biên 1902\n');
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/technician passphrase set/);
    expect(readFileSync(join(dir, 'data', 'site-passphrase.json'), 'utf8')).not.toContain('Biên');
    expect(await checkPassphrase(join(dir, 'data'), 'cầu Long Biên 1902')).toBe('ok');
    const short = await withStdin(['site', 'passphrase', '--profile', profile], 'abc\n');
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/at least 10 characters/);
    expect(await checkPassphrase(join(dir, 'data'), 'cầu Long Biên 1902')).toBe('ok');
  });

  it('writes a support bundle with the redacted profile and no secret anywhere', async () => {
    const r = await runCli(['support-bundle', '--profile', profile, '--no-diag', '-o', dir], 20_000);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const file = readdirSync(dir).find((f) => f.endsWith('.tar.gz'));
    expect(file).toMatch(/^edgefw-support-cli-box-07-.*\.tar\.gz$/);
    expect(r.stdout).toContain(`${file}`);
    const out = join(dir, 'x');
    execFileSync('mkdir', ['-p', out]);
    execFileSync('tar', ['-xzf', join(dir, file ?? ''), '-C', out]);
    const root = join(out, readdirSync(out)[0] ?? '');
    const names = readdirSync(root, { recursive: true }).map(String).sort();
    expect(names).toEqual(expect.arrayContaining(['README.txt', 'logs/service.log', 'profile.redacted.json', 'versions.json']));
    expect(names.some((n) => n.includes('passphrase'))).toBe(false);
    const prof = JSON.parse(readFileSync(join(root, 'profile.redacted.json'), 'utf8')) as { uplink: { url: string; password?: string } };
    expect(prof.uplink).toMatchObject({ url: 'mqtt://127.0.0.1:1', username: 'ops' });
    expect(prof.uplink.password).toBeUndefined();
    for (const f of readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())) expect(readFileSync(join(f.parentPath, f.name), 'utf8'), f.name).not.toContain('hunter2');
    expect(JSON.parse(readFileSync(join(root, 'versions.json'), 'utf8'))).toMatchObject({ firmware: expect.any(String), node: process.version });
  });

  it('`edgefw run` from dist/ serves the page files and the state', async () => {
    const port = await freePort();
    writeFileSync(join(dir, 'run.yaml'), `${readFileSync(profile, 'utf8').replace("uplink: { url: 'mqtt://127.0.0.1:1', username: ops, passwordFile: broker-password }", 'uplink: { url: mqtt://127.0.0.1:1 }')}site: { http: { port: ${port} } }\n`);
    const child = startCli(['run', '--profile', join(dir, 'run.yaml')]);
    try {
      let page = '';
      for (let i = 0; i < 200 && !page; i++) {
        await sleep(50);
        page = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text(), () => '');
      }
      expect(page).toContain('<script src="/static/site.js" defer></script>');
      expect(await fetch(`http://127.0.0.1:${port}/static/site.css`).then((r) => r.status)).toBe(200);
      expect(child.out.stdout).toContain('technician page listening');
    } finally {
      child.kill('SIGTERM');
      await finished(child);
    }
  });
});
