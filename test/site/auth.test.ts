import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PASSPHRASE_FILE, Sessions, checkPassphrase, passphraseIsSet, passphraseProblem, setPassphrase } from '../../firmware/site/auth.js';
import { tempDir } from '../helpers/scratch.js';

describe('technician passphrase (scrypt in the state directory)', () => {
  const dir = tempDir('pass');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stores only scrypt parameters, salt and hash; checks right and wrong passphrases', async () => {
    expect(await checkPassphrase(dir, 'anything at all')).toBe('unset');
    expect(passphraseIsSet(dir)).toBe(false);
    await setPassphrase(dir, 'cầu thang số bảy'); // a Vietnamese passphrase, NFC-normalised
    const text = readFileSync(join(dir, PASSPHRASE_FILE), 'utf8');
    expect(text).not.toContain('cầu');
    const rec = JSON.parse(text) as Record<string, unknown>;
    expect(rec).toMatchObject({ scheme: 'scrypt', N: 16384, r: 8, p: 1 });
    expect(Buffer.from(rec.hash as string, 'base64')).toHaveLength(32);
    expect(await checkPassphrase(dir, 'cầu thang số bảy')).toBe('ok');
    expect(await checkPassphrase(dir, 'cầu thang số bảy'.normalize('NFD'))).toBe('ok');
    expect(await checkPassphrase(dir, 'cau thang so bay')).toBe('wrong');
    expect(await checkPassphrase(dir, '')).toBe('wrong');
    expect(await checkPassphrase(dir, 'x'.repeat(10_000))).toBe('wrong');
  });

  it('refuses passphrases that are too short or too long, and a planted file with costly parameters', async () => {
    expect(passphraseProblem('short')).toMatch(/at least 10/);
    expect(passphraseProblem('x'.repeat(300))).toMatch(/at most 256/);
    await expect(setPassphrase(dir, 'short')).rejects.toThrow(/at least 10/);
    const rec = JSON.parse(readFileSync(join(dir, PASSPHRASE_FILE), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, PASSPHRASE_FILE), JSON.stringify({ ...rec, N: 2 ** 24 }));
    expect(passphraseIsSet(dir)).toBe(false);
  });
});

describe('technician sessions', () => {
  it('expire after the idle time, slide on use, and end at 12 h whatever the use', () => {
    let now = 0;
    const s = new Sessions(() => now, 60_000);
    const a = s.create('Lan', '10.0.0.9');
    expect(a.token).not.toBe(a.csrf);
    expect(a.token.length).toBeGreaterThanOrEqual(43);
    now = 59_000;
    expect(s.get(a.token)?.who).toBe('Lan');
    now = 118_000; // 59 s after the last use
    expect(s.get(a.token)).toBeDefined();
    now = 178_001; // 60 s idle
    expect(s.get(a.token)).toBeUndefined();
    const b = s.create('Minh', '10.0.0.9');
    for (now = 178_001; now < 178_001 + 12 * 3_600_000; now += 30_000) s.get(b.token);
    expect(s.get(b.token)).toBeUndefined();
    expect(s.get(undefined)).toBeUndefined();
    expect(s.get('forged')).toBeUndefined();
  });

  it('keeps at most 16 sessions, dropping the oldest', () => {
    let now = 0;
    const s = new Sessions(() => now, 600_000);
    const first = s.create('a', 'c');
    for (let i = 0; i < 16; i++) {
      now += 1;
      s.create(`t${i}`, 'c');
    }
    expect(s.size).toBe(16);
    expect(s.get(first.token)).toBeUndefined();
  });

  it('slows a client after failed logins: 1 s, 2 s, 4 s … capped at 60 s; other clients unaffected; a login resets it', () => {
    let now = 0;
    const s = new Sessions(() => now, 600_000);
    expect(s.waitMs('10.0.0.5')).toBe(0);
    const delays = Array.from({ length: 8 }, () => s.failed('10.0.0.5'));
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]);
    expect(s.waitMs('10.0.0.5')).toBe(60_000);
    expect(s.waitMs('10.0.0.6')).toBe(0);
    now = 30_000;
    expect(s.waitMs('10.0.0.5')).toBe(30_000);
    now = 60_000;
    expect(s.waitMs('10.0.0.5')).toBe(0);
    s.create('Lan', '10.0.0.5');
    expect(s.failed('10.0.0.5')).toBe(1000);
  });
});
