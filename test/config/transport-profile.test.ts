import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PROFILE_BYTES, loadProfile, parseProfileText } from '../../config/load.js';
import { readTransportFiles } from '../../config/secrets.js';
import { profileHash } from '../../firmware/diagnostics/diag.js';
import { runCli } from '../helpers/cli.js';
import { problems, problemsInText } from '../helpers/profiles.js';
import { type TestPki, makeTestPki } from '../helpers/tls-ca.js';
import { tempDir } from '../helpers/scratch.js';

const box = (uplink: string): string => `box: { id: b }\nuplink: ${uplink}\n`;

describe('profile: broker credentials and TLS keys', () => {
  it('refuses credentials in uplink.url without echoing the password', () => {
    const p = problemsInText(box('{ url: "mqtts://kiosk:hunter2@mqtt.city.example:8883" }'));
    expect(p).toEqual(['uplink.url: "mqtts://mqtt.city.example:8883": credentials in the URL are refused (the URL appears in logs and reports); put the user name in uplink.username and the password in a file named by uplink.passwordFile']);
    expect(p.join('\n')).not.toContain('hunter2');
    // a malformed URL with credentials is not echoed with them either
    expect(problemsInText(box('{ url: "http://kiosk:hunter2@broker" }')).join('\n')).not.toContain('hunter2');
  });

  it('refuses a password written in the profile, pointing at passwordFile', () => {
    expect(problemsInText(box('{ url: "mqtts://broker:8883", username: k, password: hunter2 }'))).toEqual([
      'uplink.password: a password is not written in the profile (it would travel with every copy of it); put it in a file readable only by the edgefw user and name that file in uplink.passwordFile',
    ]);
  });

  it('checks keys that go together: passwordFile needs username, cert needs key, TLS needs mqtts://', () => {
    expect(problemsInText(box('{ url: "mqtts://broker:8883", passwordFile: /etc/edgefw/pw }'))).toEqual(['uplink.username: required with passwordFile (MQTT sends a password only with a user name)']);
    expect(problemsInText(box('{ url: "mqtts://broker:8883", tls: { cert: box.crt } }'))).toEqual(['uplink.tls.key: a client certificate needs its key, and a key its certificate: give both cert and key']);
    expect(problemsInText(box('{ url: "mqtt://broker:1883", tls: { ca: ca.pem } }'))).toEqual(['uplink.tls: TLS files are given but uplink.url is "mqtt://broker:1883"; use mqtts://host:8883 (or wss://)']);
    expect(problemsInText(box('{ tls: { ca: ca.pem, verify: false } }'))).toContain('uplink.tls: unknown key "verify" (check the spelling; see docs/profile.md)');
  });

  it('the embedded broker binds loopback only', () => {
    expect(problemsInText(box('{ embeddedBroker: { host: 0.0.0.0, port: 1883 } }'))).toEqual([
      'uplink.embeddedBroker.host: "0.0.0.0": the embedded broker has no authentication and binds loopback only (127.0.0.1, ::1 or localhost); boxes on a network talk to the city broker through uplink.url',
    ]);
    for (const host of ['127.0.0.1', 'localhost', '::1']) expect(() => parseProfileText(box(`{ embeddedBroker: { host: "${host}", port: 1883 } }`))).not.toThrow();
  });

  it('a YAML alias bomb is a clean profile error, not a stack trace', () => {
    const lines = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (const [x, y] of [['b', 'a'], ['c', 'b'], ['d', 'c'], ['e', 'd'], ['f', 'e'], ['g', 'f'], ['h', 'g'], ['i', 'h']]) lines.push(`${x}: &${x} [${Array(9).fill(`*${y}`).join(', ')}]`);
    expect(problemsInText(`${lines.join('\n')}\nbox: { id: b }\n`)).toEqual([
      '(top level): aliases (*name) expand to too many nodes (more than 100 times the document); refused as a resource exhaustion attack ("billion laughs")',
    ]);
    // anchors used sensibly stay allowed
    expect(() => parseProfileText('x-common: &c { interval: 2s }\nbox: { id: b }\n')).toThrow(/unknown key "x-common"/);
  });

  it('a profile larger than 1 MiB is refused unread, from text or from a file', () => {
    expect(problemsInText(`box: { id: b }\n#${'x'.repeat(MAX_PROFILE_BYTES)}\n`)).toEqual(['(top level): the profile is larger than 1024 KiB; refused unread']);
    const dir = tempDir('big');
    try {
      writeFileSync(join(dir, 'big.yaml'), `box: { id: b }\n#${'x'.repeat(MAX_PROFILE_BYTES)}\n`);
      expect(problems(join(dir, 'big.yaml'))[0]).toMatch(/^the file is larger than 1048576 bytes \(\d+\); refused unread$/);
      expect(problems('/dev/zero')).toEqual(['the file is not a regular file']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the files an uplink names', () => {
  let pki: TestPki;
  let dir: string;
  beforeAll(() => {
    pki = makeTestPki();
    dir = tempDir('files');
  });
  afterAll(() => {
    pki.remove();
    rmSync(dir, { recursive: true, force: true });
  });
  const uplink = (u: string) => parseProfileText(box(u)).uplink;

  it('reads the password (one line) and the TLS files; relative paths are relative to the profile', () => {
    writeFileSync(join(dir, 'pw'), 's3cret\n', { mode: 0o600 });
    writeFileSync(join(dir, 'box.yaml'), box(`{ url: "mqtts://localhost:8883", username: b, passwordFile: pw, tls: { ca: "${pki.ca}", cert: "${pki.client.cert}", key: "${pki.client.key}" } }`));
    const p = loadProfile(join(dir, 'box.yaml'));
    expect(p.uplink.passwordFile).toBe(join(dir, 'pw'));
    const r = readTransportFiles(p.uplink);
    expect(r.problems).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.secrets.password).toBe('s3cret');
    expect(r.secrets.tls?.cert).toContain('-----BEGIN CERTIFICATE-----');
    expect(r.secrets.certValidity?.subject).toBe('CN=tls-box');
  });

  it('names each bad file with its profile path and what is wrong with it, never its contents', () => {
    writeFileSync(join(dir, 'empty'), '\n');
    writeFileSync(join(dir, 'two-lines'), 'a-secret\nmore\n');
    writeFileSync(join(dir, 'big'), 'x'.repeat(2000));
    writeFileSync(join(dir, 'not-pem'), 'hello');
    const r = readTransportFiles(uplink(`{ url: "mqtts://h:8883", username: b, passwordFile: "${join(dir, 'two-lines')}", tls: { ca: "${join(dir, 'not-pem')}", cert: "${pki.client.cert}", key: "${pki.clientOtherCa.key}" } }`));
    expect(r.problems).toEqual([
      `uplink.passwordFile: ${join(dir, 'two-lines')}: more than one line (the whole first line is the password; nothing may follow it)`,
      `uplink.tls.ca: ${join(dir, 'not-pem')}: no PEM certificate in it (-----BEGIN CERTIFICATE-----)`,
      `uplink.tls.key: ${pki.clientOtherCa.key}: does not belong to the certificate ${pki.client.cert} (its public key differs)`,
    ]);
    expect(r.problems.join('\n')).not.toContain('a-secret');
    expect(readTransportFiles(uplink(`{ username: b, passwordFile: "${join(dir, 'empty')}" }`)).problems).toEqual([`uplink.passwordFile: ${join(dir, 'empty')}: empty`]);
    expect(readTransportFiles(uplink(`{ username: b, passwordFile: "${join(dir, 'big')}" }`)).problems).toEqual([`uplink.passwordFile: ${join(dir, 'big')}: larger than 1024 bytes (2000); refused unread`]);
    expect(readTransportFiles(uplink(`{ url: "mqtts://h:8883", tls: { ca: "${join(dir, 'missing.pem')}" } }`)).problems).toEqual([`uplink.tls.ca: ${join(dir, 'missing.pem')}: cannot read: no such file`]);
  });

  it('warns: plain MQTT to another machine, a key readable by everyone, an expired or expiring certificate', () => {
    expect(readTransportFiles(uplink('{ url: "mqtt://broker.city.example:1883", username: b }')).warnings).toEqual([
      'uplink.url: mqtt://broker.city.example:1883 is plain MQTT to another machine: readings, commands and the broker password cross the network unencrypted; use mqtts:// with uplink.tls (docs/security.md)',
    ]);
    expect(readTransportFiles(uplink('{ url: "mqtt://127.0.0.1:1883" }')).warnings).toEqual([]);
    const key = join(dir, 'open.key');
    writeFileSync(key, readFileSyncUtf8(pki.client.key));
    chmodSync(key, 0o644);
    const w = readTransportFiles(uplink(`{ url: "mqtts://h:8883", tls: { cert: "${pki.clientExpired.cert}", key: "${key}" } }`)).warnings;
    expect(w).toContain(`uplink.tls.key: ${key}: readable by every user on the box; chmod 0600 (or 0640 with group edgefw)`);
    expect(w).toContain("uplink.tls.cert: the box's certificate expired on 2021-01-01T00:00:00.000Z; the broker will refuse it (TLS_CERT_EXPIRED)");
    const soon = readTransportFiles(uplink(`{ url: "mqtts://h:8883", tls: { cert: "${pki.client.cert}", key: "${pki.client.key}" } }`), Date.now() + 350 * 86_400_000).warnings;
    expect(soon[0]).toMatch(/^uplink\.tls\.cert: the box's certificate expires on .*, in \d+ days; renew it$/);
  });

  it('profileHash does not change with the password, only with settings', () => {
    writeFileSync(join(dir, 'pw1'), 'first-password\n');
    const p = parseProfileText(box(`{ url: "mqtts://h:8883", username: b, passwordFile: "${join(dir, 'pw1')}" }`));
    const before = profileHash(p);
    writeFileSync(join(dir, 'pw1'), 'second-password\n');
    expect(profileHash(parseProfileText(box(`{ url: "mqtts://h:8883", username: b, passwordFile: "${join(dir, 'pw1')}" }`)))).toBe(before);
    expect(profileHash(parseProfileText(box(`{ url: "mqtts://h:8884", username: b, passwordFile: "${join(dir, 'pw1')}" }`)))).not.toBe(before);
    // even a profile object carrying a password (not one the loader would give) hashes without it
    expect(profileHash({ ...p, uplink: { ...p.uplink, password: 'x' } } as never)).toBe(before);
  });

  it('`edgefw config check` prints the warnings and fails on a missing file', async () => {
    const f = join(dir, 'plain.yaml');
    writeFileSync(f, box('{ url: "mqtt://broker.city.example:1883" }'));
    const ok = await runCli(['config', 'check', f]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('WARN uplink.url: mqtt://broker.city.example:1883 is plain MQTT to another machine');
    const g = join(dir, 'missing.yaml');
    writeFileSync(g, box('{ url: "mqtts://broker.city.example:8883", tls: { ca: nowhere.pem } }'));
    const bad = await runCli(['config', 'check', g]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`uplink.tls.ca: ${join(dir, 'nowhere.pem')}: cannot read: no such file`);
  });
});

function readFileSyncUtf8(path: string): string {
  return readFileSync(path, 'utf8');
}
