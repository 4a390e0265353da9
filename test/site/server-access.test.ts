/**
 * Access to the technician page: read-only pages open on loopback, actions need a session from
 * the passphrase, CSRF token and Origin checked, wrong passphrases slowed, every action logged
 * with who did it, and the support bundle downloadable without a secret in it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptableHost, isLoopback } from '../../firmware/site/http-util.js';
import { type SiteBox, http, login, post, startSiteBox } from '../helpers/site.js';
import { tempDir } from '../helpers/scratch.js';

describe('technician page: access', () => {
  let box: SiteBox;
  beforeAll(async () => {
    box = await startSiteBox({ brokerPassword: 's3cret-broker-pw' });
    for (let i = 0; i < 100 && box.runtime.devices.some((d) => d.state !== 'ok'); i++) await sleep(50);
  });
  afterAll(async () => box?.stop());

  it('serves the page, its files and the state to a loopback client without login; nothing secret in them', async () => {
    const page = await http(box.port, '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect((await http(box.port, '/static/site.js')).headers['content-type']).toMatch(/javascript/);
    const state = await http(box.port, '/api/state');
    expect(state.status).toBe(200);
    const snap = JSON.parse(state.body) as { devices: { id: string; wiring: { where: string } }[] };
    expect(snap.devices.map((d) => d.id)).toEqual(['env', 'climate', 'light', 'door']);
    expect(snap.devices[0]?.wiring.where).toBe('i2c1 0x76');
    expect(snap.devices[3]?.wiring.where).toBe('hdr GPIO5 (pin 29)');
    for (const r of [page, state, await http(box.port, '/api/session'), await http(box.port, '/api/i18n')]) {
      expect(r.body).not.toContain('s3cret-broker-pw');
      expect(r.body).not.toContain('scrypt');
    }
  });

  it('refuses actions without a session (401), without the CSRF token or from another origin (403)', async () => {
    const none = await post(box.port, '/api/actions/selftest', {});
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body).error).toMatch(/log in/);
    const { cookie, csrf } = await login(box.port);
    expect((await post(box.port, '/api/actions/selftest', {}, { cookie })).status).toBe(403);
    expect((await post(box.port, '/api/actions/selftest', {}, { cookie, 'x-csrf-token': `${csrf}x` })).status).toBe(403);
    const foreign = await post(box.port, '/api/actions/selftest', {}, { cookie, 'x-csrf-token': csrf, origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    expect(JSON.parse(foreign.body).error).toMatch(/cross-site/);
    const noOrigin = await http(box.port, '/api/actions/selftest', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrf } });
    expect(noOrigin.status).toBe(403);
    expect((await http(box.port, '/api/support-bundle')).status).toBe(401);
    expect((await http(box.port, '/api/actions/log')).status).toBe(401);
  });

  it('refuses a wrong passphrase and slows the client down (429 with Retry-After)', async () => {
    const wrong = await post(box.port, '/api/login', { who: 'Mallory', passphrase: 'not the passphrase' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    const again = await post(box.port, '/api/login', { who: 'Mallory', passphrase: 'lamp post seventeen' });
    expect(again.status).toBe(429);
    expect(Number(again.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    await sleep(1100);
    expect((await post(box.port, '/api/login', { who: 'Mallory', passphrase: 'lamp post seventeen' })).status).toBe(200);
    expect((await post(box.port, '/api/login', { who: '<script>', passphrase: 'lamp post seventeen' })).status).toBe(400);
  });

  it('runs the self-test, the I²C scan and a re-probe for a logged-in technician, and logs who did each', async () => {
    const { cookie, csrf } = await login(box.port, 'Nguyễn Văn An');
    const h = { cookie, 'x-csrf-token': csrf };
    const st = await post(box.port, '/api/actions/selftest', {}, h);
    expect(st.status).toBe(200);
    const report = JSON.parse(st.body).report as { checks: { section: string; name: string; verdict: string }[] };
    expect(report.checks.find((c) => c.name === 'env')?.verdict).toBe('PASS');
    expect(report.checks.find((c) => c.section === 'broker')?.verdict).toBe('FAIL');

    const scan = await post(box.port, '/api/actions/i2c-scan', {}, h);
    expect(scan.status).toBe(200);
    const lines = (JSON.parse(scan.body).checks as { name: string; verdict: string; detail: string }[]).map((c) => `${c.name} ${c.verdict} ${c.detail}`);
    // the SHT3x status word moves with its measurements (reset and alert bits): matched, not fixed
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('i2c1 0x76 PASS env (bme280) acknowledges: BME280 (chip id 0x60)');
    expect(lines[1]).toMatch(/^i2c1 0x44 PASS climate \(sht3x\) acknowledges: SHT3x \(status 0x[0-9a-f]{4}\)$/);
    expect(lines[2]).toBe('i2c1 0x23 PASS light (bh1750) acknowledges');

    expect((await post(box.port, '/api/actions/reprobe', { device: 'env' }, h)).status).toBe(200);
    expect((await post(box.port, '/api/actions/reprobe', { device: 'nope' }, h)).status).toBe(404);
    expect((await post(box.port, '/api/actions/serial-probe', { port: '/etc/passwd' }, h)).status).toBe(400);
    expect((await post(box.port, '/api/actions/launch', {}, h)).status).toBe(404);
    for (let i = 0; i < 60 && box.runtime.devices.find((d) => d.id === 'env')?.state !== 'ok'; i++) await sleep(50);
    expect(box.runtime.devices.find((d) => d.id === 'env')?.state).toBe('ok');

    const log = JSON.parse((await http(box.port, '/api/actions/log', { headers: { cookie } })).body).entries as { who: string; action: string; outcome: string }[];
    expect(log.slice(0, 4).map((e) => `${e.who}: ${e.action} ${e.outcome}`)).toEqual([
      'Nguyễn Văn An: serial-probe refused: "/etc/passwd" is not a serial port path (/dev/serial/by-id/…, /dev/ttyUSB0, /dev/ttyAMA0 …)',
      'Nguyễn Văn An: reprobe refused: no device "nope" in the profile',
      'Nguyễn Văn An: reprobe done',
      'Nguyễn Văn An: i2c-scan done',
    ]);
    expect(readFileSync(join(box.dir, 'site-actions.log'), 'utf8')).toContain('"action":"selftest"');
  });

  it('downloads the support bundle: diag, versions, run records, the redacted profile — no passwords', async () => {
    const { cookie } = await login(box.port);
    const r = await new Promise<{ status: number; data: Buffer; disposition: string }>((resolve, reject) => {
      void import('node:http').then(({ get }) =>
        get({ host: '127.0.0.1', port: box.port, path: '/api/support-bundle', headers: { cookie, host: `127.0.0.1:${box.port}` } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, data: Buffer.concat(chunks), disposition: String(res.headers['content-disposition']) }));
        }).on('error', reject),
      );
    });
    expect(r.status).toBe(200);
    expect(r.disposition).toMatch(/attachment; filename="edgefw-support-site-test-01-.*\.tar\.gz"/);
    const dir = tempDir('bundle');
    try {
      writeFileSync(join(dir, 'b.tar.gz'), r.data);
      const list = execFileSync('tar', ['-tzf', join(dir, 'b.tar.gz')], { encoding: 'utf8' }).trim().split('\n').map((l) => l.replace(/^[^/]+\//, ''));
      expect(list).toEqual(expect.arrayContaining(['versions.json', 'profile.redacted.json', 'diag.json', 'faults.json', 'state/run-state.json', 'state/boot-counter', 'state/site-actions.log', 'logs/service.log', 'README.txt']));
      expect(list.some((l) => l.includes('passphrase'))).toBe(false);
      execFileSync('tar', ['-xzf', 'b.tar.gz'], { cwd: dir });
      const root = readdirSync(dir).find((n) => n.startsWith('edgefw-support-')) ?? '';
      const files = readdirSync(join(dir, root), { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
      expect(files.length).toBe(list.length);
      for (const f of files) expect(readFileSync(join(f.parentPath, f.name), 'utf8')).not.toContain('s3cret-broker-pw');
      const profile = JSON.parse(readFileSync(join(dir, root, 'profile.redacted.json'), 'utf8')) as { uplink: { url: string; username: string } };
      expect(profile.uplink).toMatchObject({ url: 'mqtt://127.0.0.1:1', username: 'fieldops' });
      const diag = JSON.parse(readFileSync(join(dir, root, 'diag.json'), 'utf8')) as { box: string; source: string };
      expect(diag).toMatchObject({ box: 'site-test-01', source: 'service' });
      expect(readFileSync(join(dir, root, 'logs/service.log'), 'utf8')).toMatch(/--- the last \d+ log lines of this run, kept in memory ---/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(r.data.length).toBeGreaterThan(500);
  });
});

describe('site request checks', () => {
  it('treats only loopback addresses as local', () => {
    expect(['127.0.0.1', '::1', '::ffff:127.0.0.1', '127.8.9.1'].map(isLoopback)).toEqual([true, true, true, true]);
    expect(['10.0.0.2', '::ffff:10.0.0.2', '', undefined, '128.0.0.1'].map(isLoopback)).toEqual([false, false, false, false, false]);
  });

  it('accepts IP literals, localhost and the configured name as Host; refuses other names', () => {
    expect(['127.0.0.1:8417', '10.1.2.3', '[::1]:80', 'localhost:8417', 'kiosk-17.local:8417'].map((h) => acceptableHost(h, 'kiosk-17.local'))).toEqual([true, true, true, true, true]);
    expect(['evil.example', 'evil.example:8417', '', undefined, '127.0.0.1:80:80', 'a'.repeat(400)].map((h) => acceptableHost(h, '0.0.0.0'))).toEqual([false, false, false, false, false, false]);
  });
});
