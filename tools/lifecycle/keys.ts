import { type KeyObject, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, renameSync } from 'node:fs';

/**
 * Release keys, in the file formats of the box key (firmware/security/keys.ts from the
 * trust-boundary work): the private half is a PKCS#8 PEM file (0600), the public half a `.pub`
 * file holding the raw 32 bytes in base64. The release key signs bundles on the build machine
 * and never goes onto a box; boxes hold its public half in their trust list.
 */
export function readReleasePrivateKey(file: string): { privateKey: KeyObject; publicKey: KeyObject } {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: readFileSync(file, 'utf8'), format: 'pem' });
  } catch (e) {
    throw new Error(`${file}: not a PEM private key (${(e as Error).message}); make one with \`edgefw bundle keygen --out ${file}\``);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`${file}: a ${privateKey.asymmetricKeyType ?? 'unknown'} key; release keys are Ed25519`);
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

/** A public key from its text: raw 32 bytes base64 (a `.pub` file) or an SPKI PEM. */
export function parseReleasePublicKey(text: string, where: string): KeyObject {
  const t = text.trim();
  try {
    if (t.startsWith('-----BEGIN')) return createPublicKey(t);
    const raw = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (raw.length !== 32 || !/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) throw new Error(`${raw.length} bytes, not the 32 of an Ed25519 public key`);
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
  } catch (e) {
    throw new Error(`${where}: not an Ed25519 public key (${(e as Error).message})`);
  }
}

export function publicKeyText(key: KeyObject): string {
  return Buffer.from(key.export({ format: 'jwk' }).x ?? '', 'base64url').toString('base64');
}

/** Write a new release key pair: FILE (0600) and FILE.pub; never over an existing key. */
export function writeReleaseKey(file: string): KeyObject {
  if (existsSync(file)) throw new Error(`${file} exists; refusing to overwrite a release key`);
  const pair = generateKeyPairSync('ed25519');
  writeFileSync(`${file}.pub.tmp`, `${publicKeyText(pair.publicKey)}\n`, { mode: 0o644 });
  renameSync(`${file}.pub.tmp`, `${file}.pub`);
  writeFileSync(`${file}.tmp`, pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
  return pair.publicKey;
}
