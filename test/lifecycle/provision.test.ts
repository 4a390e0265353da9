import { readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readState } from '../../firmware/lifecycle/state.js';
import { ScratchBox, cli, releaseSource, scratchDir, testBundle } from '../helpers/box.js';
import { rmSync } from 'node:fs';

/**
 * `edgefw provision` into a scratch root (never this machine): a fresh box, a second run that
 * changes nothing, drift found by --check, and a bad profile refused before anything is written.
 */
describe('edgefw provision --root', () => {
  let work: string;
  let bundle: string;
  let pub: string;

  beforeAll(async () => {
    work = scratchDir('provision');
    const key = join(work, 'release.key');
    expect(cli(['bundle', 'keygen', key]).code).toBe(0);
    pub = `${key}.pub`;
    bundle = await testBundle(releaseSource(work, '1.0.0'), key, join(work, 'edgefw-1.0.0.tar.gz'));
  }, 60_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('provisions a fresh box, shows the Pi boot change as a diff, and a second run changes nothing', () => {
    const box = new ScratchBox(work, 'fresh');
    const profile = box.profile('mqtt://127.0.0.1:1', 'kiosk-7');
    const args = ['provision', '--root', box.root, '--profile', profile, '--bundle', bundle, '--release-key', pub, '--org', 'City of Example'];

    const dry = cli([...args, '--dry-run']);
    expect(dry.code, dry.out).toBe(0);
    expect(dry.out).toMatch(/plan: \d+ change\(s\)/);
    expect(readFileSync(join(box.root, 'etc/passwd'), 'utf8')).not.toContain('edgefw'); // a dry run writes nothing

    const first = cli(args);
    expect(first.code, first.out).toBe(0);
    expect(first.out).toContain('-#dtparam=i2c_arm=on\n+dtparam=i2c_arm=on');
    expect(first.out).toContain('+enable_uart=1');
    // accounts: a system user in its own group and in the hardware groups
    const passwd = readFileSync(join(box.root, 'etc/passwd'), 'utf8');
    expect(passwd).toMatch(/^edgefw:x:\d+:\d+:[^:]*:\/.*var\/lib\/edgefw:\/usr\/sbin\/nologin$/m);
    const group = readFileSync(join(box.root, 'etc/group'), 'utf8');
    for (const g of ['i2c', 'dialout', 'gpio', 'video']) expect(group).toMatch(new RegExp(`^${g}:x:\\d+:(.*,)?edgefw(,.*)?$`, 'm'));
    expect(group).toMatch(/^edgefw:x:\d+:$/m);
    // state directory and its modes; the profile readable by the service group only
    expect(statSync(box.stateDir).mode & 0o777).toBe(0o750);
    expect(statSync(join(box.root, 'etc/edgefw/profile.yaml')).mode & 0o777).toBe(0o640);
    expect(statSync(join(box.stateDir, 'box.key')).mode & 0o777).toBe(0o600);
    // the release, its links and the journal
    expect([box.link('current'), box.link('committed')]).toEqual(['1.0.0', '1.0.0']);
    expect(readState(box.stateDir)).toMatchObject({ state: 'idle', committed: '1.0.0', floor: '1.0.0' });
    // the unit and udev rules as shipped
    expect(readFileSync(join(box.root, 'etc/systemd/system/edgefw.service'), 'utf8')).toBe(readFileSync('tools/systemd/edgefw.service', 'utf8'));
    expect(readFileSync(join(box.root, 'etc/udev/rules.d/99-edgefw.rules'), 'utf8')).toContain('SUBSYSTEM=="i2c-dev", GROUP="i2c"');
    expect(readFileSync(join(box.root, 'boot/firmware/config.txt'), 'utf8')).toMatch(/^dtparam=i2c_arm=on$/m);
    // a CSR for the city's CA carrying the box key and the box id
    const csr = join(box.stateDir, 'box.csr');
    const subject = spawnSync('openssl', ['req', '-in', csr, '-noout', '-subject', '-verify'], { encoding: 'utf8' });
    expect(subject.status, subject.stderr).toBe(0);
    expect(subject.stdout).toMatch(/CN\s*=\s*kiosk-7/);
    expect(subject.stdout).toMatch(/O\s*=\s*City of Example/);
    const keyPub = spawnSync('openssl', ['pkey', '-in', join(box.stateDir, 'box.key'), '-pubout'], { encoding: 'utf8' }).stdout;
    expect(spawnSync('openssl', ['req', '-in', csr, '-noout', '-pubkey'], { encoding: 'utf8' }).stdout).toBe(keyPub);
    // the trust list
    expect(readFileSync(pub, 'utf8')).toBe(readFileSync(join(box.root, 'etc/edgefw/release-keys', spawnSync('ls', [join(box.root, 'etc/edgefw/release-keys')], { encoding: 'utf8' }).stdout.trim()), 'utf8'));

    const second = cli(args);
    expect(second.code, second.out).toBe(0);
    expect(second.out).toContain('nothing to change: the box is already provisioned as asked');
    expect(cli([...args, '--check']).code).toBe(0);
  }, 60_000);

  it('--check reports drift with exit code 3; provisioning again repairs it', () => {
    const box = new ScratchBox(work, 'drift');
    const profile = box.profile('mqtt://127.0.0.1:1', 'kiosk-8');
    const args = ['provision', '--root', box.root, '--profile', profile, '--bundle', bundle, '--release-key', pub];
    expect(cli(args).code).toBe(0);
    writeFileSync(join(box.root, 'etc/edgefw/profile.yaml'), 'box: { id: edited-by-hand }\n');
    chmodSync(box.stateDir, 0o777);
    writeFileSync(join(box.root, 'boot/firmware/config.txt'), 'dtparam=i2c_arm=off\nenable_uart=1\n');
    // a file of the installed release changed on the SD card
    const cliJs = join(box.installDir, 'releases/1.0.0/dist/tools/cli.js');
    writeFileSync(cliJs, `${readFileSync(cliJs, 'utf8')}\n// changed\n`);
    const bare = cli(['provision', '--root', box.root, '--profile', profile, '--check']);
    expect(bare.code, bare.out).toBe(3);
    expect(bare.out).toMatch(/release 1\.0\.0 differs from its signed manifest \(1: dist\/tools\/cli\.js changed\); provision again with --bundle/);
    const check = cli([...args, '--check']);
    expect(check.code, check.out).toBe(3);
    expect(check.out).toContain('drift: 4 difference(s)');
    expect(check.out).toMatch(/install edgefw 1\.0\.0/);
    expect(check.out).toMatch(/update .*etc\/edgefw\/profile\.yaml .*content differs/);
    expect(check.out).toMatch(/mode of .*var\/lib\/edgefw: 0777 → 0750/);
    expect(check.out).toContain('-dtparam=i2c_arm=off\n+dtparam=i2c_arm=on');
    expect(cli(args).code).toBe(0);
    expect(cli([...args, '--check']).out).toContain('no drift');
  }, 60_000);

  it('refuses a bad profile with its path before writing anything, and a bundle it cannot trust', () => {
    const box = new ScratchBox(work, 'bad');
    const profile = join(work, 'bad-profile.yaml');
    writeFileSync(profile, 'box: { id: x }\ndevices:\n  - { id: env, type: bme280, bus: nowhere, address: 0x76 }\n');
    const r = cli(['provision', '--root', box.root, '--profile', profile, '--bundle', bundle, '--release-key', pub]);
    expect(r.code, r.out).toBe(2);
    expect(r.out).toMatch(/devices\[0\]/);
    expect(readFileSync(join(box.root, 'etc/passwd'), 'utf8')).not.toContain('edgefw');

    const good = box.profile('mqtt://127.0.0.1:1', 'kiosk-9');
    const other = join(work, 'other.key');
    expect(cli(['bundle', 'keygen', other]).code).toBe(0);
    const u = cli(['provision', '--root', box.root, '--profile', good, '--bundle', bundle, '--release-key', `${other}.pub`]);
    expect(u.code, u.out).toBe(1);
    expect(u.out).toContain('bundle refused (signature)');
  }, 60_000);
});
