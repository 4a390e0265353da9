import { type KeyObject, createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { writeDurable } from '../lifecycle/state.js';

/**
 * Ed25519 keys as the box, `edgefw keygen` and `edgefw cmd` keep them (node:crypto only).
 *
 * - A private key is a PKCS#8 PEM file, mode 0600.
 * - A public key travels as its raw 32 bytes in base64 (RFC 4648 §4, with padding: 44
 *   characters), the form in the profile's trust list, the retained status and the
 *   commissioning record. `<private file>.pub` holds the same string and a newline.
 * - A key id is the first 16 hex digits of SHA-256 over the raw 32 public-key bytes: short
 *   enough for a log line, long enough that two keys of one fleet never share it.
 * - A signature is the 64-byte Ed25519 signature (RFC 8032, pure Ed25519, no pre-hash) in
 *   base64.
 */

/** Raw 32-byte Ed25519 public key, base64 (44 characters). */
export type PublicKeyText = string;

export class KeyFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'KeyFileError';
  }
}

/** base64 of the raw 32 public-key bytes. */
export function publicKeyText(key: KeyObject): PublicKeyText {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') throw new Error('not an Ed25519 key');
  return Buffer.from(jwk.x, 'base64url').toString('base64');
}

/**
 * A public key from its text (raw 32 bytes in base64 or base64url); throws a message naming
 * what is wrong, for the profile loader and the CLI to place.
 */
export function parsePublicKey(text: string): KeyObject {
  const t = text.trim();
  if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) throw new Error(`"${t.slice(0, 60)}" is not an Ed25519 public key (44 base64 characters of its 32 raw bytes, as in a .pub file from edgefw keygen)`);
  const raw = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (raw.length !== 32) throw new Error(`public key decodes to ${raw.length} bytes; Ed25519 public keys are 32`);
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
}

/** First 16 hex digits of SHA-256 over the raw public-key bytes. */
export function keyId(key: KeyObject | PublicKeyText): string {
  const text = typeof key === 'string' ? key : publicKeyText(key);
  return createHash('sha256').update(Buffer.from(text, 'base64')).digest('hex').slice(0, 16);
}

/** Ed25519 signature over `data`, base64. */
export function signBytes(privateKey: KeyObject, data: Uint8Array): string {
  return sign(null, data, privateKey).toString('base64');
}

/** True when `signature` (base64) is `key`'s Ed25519 signature over `data`; never throws. */
export function verifyBytes(key: KeyObject, data: Uint8Array, signature: string): boolean {
  if (typeof signature !== 'string' || !/^[A-Za-z0-9+/]{86}==$/.test(signature)) return false;
  try {
    return verify(null, data, key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

export interface KeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export function generateKeyPair(): KeyPair {
  return generateKeyPairSync('ed25519');
}

/**
 * Write a private key (PKCS#8 PEM, 0600) and `<file>.pub` (0644) through temp files and
 * renames, so a power cut leaves no half key. Refuses to overwrite an existing key unless
 * `overwrite`.
 */
export function writeKeyFiles(file: string, pair: KeyPair, overwrite = false): void {
  if (!overwrite && exists(file)) throw new KeyFileError(file, 'a key already exists here; refusing to overwrite it');
  const pem = pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  writeAtomic(`${file}.pub`, `${publicKeyText(pair.publicKey)}\n`, 0o644);
  writeAtomic(file, pem, 0o600);
}

/**
 * Read a private key file. A key readable by group or others is tightened to 0600 and
 * reported through `onLoose`; a file that is not an Ed25519 private key throws naming it.
 */
export function readPrivateKey(file: string, onLoose?: (mode: number) => void): KeyPair {
  let text: string;
  try {
    const mode = statSync(file).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      chmodSync(file, 0o600);
      onLoose?.(mode);
    }
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new KeyFileError(file, `cannot read the key: ${(e as Error).message}`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: text, format: 'pem' });
  } catch {
    throw new KeyFileError(file, 'not a PEM private key (expected the PKCS#8 file written by edgefw keygen)');
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new KeyFileError(file, `a ${privateKey.asymmetricKeyType ?? 'unknown'} key; edgefw uses Ed25519`);
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

/** The public key in a `.pub` file (or a file holding the base64 text). */
export function readPublicKeyFile(file: string): KeyObject {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new KeyFileError(file, `cannot read the key: ${(e as Error).message}`);
  }
  try {
    return parsePublicKey(text);
  } catch (e) {
    throw new KeyFileError(file, (e as Error).message);
  }
}

function exists(file: string): boolean {
  try {
    statSync(file);
    return true;
  } catch {
    return false;
  }
}

/** Durable write (temp file, fsync, rename, directory fsync), then the mode the umask may have narrowed. */
function writeAtomic(file: string, text: string, mode: number): void {
  writeDurable(file, text, mode);
  chmodSync(file, mode);
}
