import { verify } from 'node:crypto';
import { chmodSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BOX_KEY_FILE, loadOrCreateIdentity } from '../../firmware/security/identity.js';
import { KeyFileError, keyId, parsePublicKey, publicKeyText } from '../../firmware/security/keys.js';
import { tempDir } from '../helpers/scratch.js';

const dirs: string[] = [];
function tmp(): string {
  const d = tempDir('id');
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('box identity', () => {
  it('creates an Ed25519 key pair on first start: key 0600, directory 0750, public half beside it', () => {
    const dir = join(tmp(), 'state');
    const id = loadOrCreateIdentity(dir);
    expect(id.created).toBe(true);
    expect(statSync(join(dir, BOX_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o750);
    expect(id.publicKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(readFileSync(join(dir, `${BOX_KEY_FILE}.pub`), 'utf8').trim()).toBe(id.publicKey);
    expect(id.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(id.keyId).toBe(keyId(id.publicKey));
    expect(readFileSync(join(dir, BOX_KEY_FILE), 'utf8')).toContain('BEGIN PRIVATE KEY');
  });

  it('loads the same key on the next start (identity never changes by itself)', () => {
    const dir = tmp();
    const a = loadOrCreateIdentity(dir);
    const b = loadOrCreateIdentity(dir);
    expect(b.created).toBe(false);
    expect(b.publicKey).toBe(a.publicKey);
    expect(b.derive('mqtt-client-id')).toBe(a.derive('mqtt-client-id'));
  });

  it('signs with the box key: node:crypto verifies against the published public key', () => {
    const id = loadOrCreateIdentity(tmp());
    const data = Buffer.from('edgefw reply bytes');
    const sig = id.sign(data);
    expect(Buffer.from(sig, 'base64')).toHaveLength(64);
    const pub = parsePublicKey(id.publicKey);
    expect(verify(null, data, pub, Buffer.from(sig, 'base64'))).toBe(true);
    expect(id.verify(data, sig)).toBe(true);
    expect(id.verify(Buffer.from('edgefw reply bytez'), sig)).toBe(false);
    expect(id.verify(data, 'not a signature')).toBe(false);
  });

  it('derives secrets per label that differ between boxes and do not reveal the key', () => {
    const a = loadOrCreateIdentity(tmp());
    const b = loadOrCreateIdentity(tmp());
    expect(a.derive('x')).toMatch(/^[0-9a-f]{64}$/);
    expect(a.derive('x')).not.toBe(a.derive('y'));
    expect(a.derive('x')).not.toBe(b.derive('x'));
    expect(a.derive('x')).not.toContain(Buffer.from(a.publicKey, 'base64').toString('hex'));
  });

  it('tightens a key readable by others to 0600 and says so', () => {
    const dir = tmp();
    loadOrCreateIdentity(dir);
    const file = join(dir, BOX_KEY_FILE);
    chmodSync(file, 0o644);
    const loose: number[] = [];
    loadOrCreateIdentity(dir, { onLoose: (_f, mode) => loose.push(mode) });
    expect(loose).toEqual([0o644]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('refuses a damaged key file, naming it, instead of silently becoming another box', () => {
    const dir = tmp();
    writeFileSync(join(dir, BOX_KEY_FILE), 'garbage\n', { mode: 0o600 });
    expect(() => loadOrCreateIdentity(dir)).toThrow(KeyFileError);
    expect(() => loadOrCreateIdentity(dir)).toThrow(`${join(dir, BOX_KEY_FILE)}: not a PEM private key`);
  });

  it('parses public keys in base64 and base64url and refuses anything else by name', () => {
    const id = loadOrCreateIdentity(tmp());
    const url = Buffer.from(id.publicKey, 'base64').toString('base64url');
    expect(publicKeyText(parsePublicKey(url))).toBe(id.publicKey);
    expect(() => parsePublicKey('abc')).toThrow(/not an Ed25519 public key/);
    expect(parsePublicKey(id.publicKey).asymmetricKeyType).toBe('ed25519');
    expect(() => parsePublicKey(Buffer.alloc(31, 7).toString('base64'))).toThrow(/not an Ed25519 public key/);
  });
});

describe('box identity on a disk that refuses writes', () => {
  it('runs on a key held in memory for this run when told how to report it, and throws otherwise', () => {
    const dir = tmp();
    chmodSync(dir, 0o500);
    try {
      // root ignores directory modes: the state directory is then a file's path instead
      const blocked = process.getuid?.() === 0 ? join(dir, 'file-not-dir') : join(dir, 'state');
      if (process.getuid?.() === 0) {
        chmodSync(dir, 0o700);
        writeFileSync(blocked, '');
      }
      const errors: string[] = [];
      const id = loadOrCreateIdentity(blocked, { onWriteError: (file) => errors.push(file) });
      expect(errors).toEqual([join(blocked, BOX_KEY_FILE)]);
      expect(id).toMatchObject({ created: true, persisted: false });
      expect(id.verify(Buffer.from('x'), id.sign(Buffer.from('x')))).toBe(true);
      expect(() => loadOrCreateIdentity(blocked)).toThrow();
    } finally {
      chmodSync(dir, 0o700);
    }
  });
});
