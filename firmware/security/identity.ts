import { type KeyObject, createHmac } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type KeyPair, type PublicKeyText, generateKeyPair, keyId, publicKeyText, readPrivateKey, signBytes, verifyBytes, writeKeyFiles } from './keys.js';

/** The box key's file name inside the state directory (storage.dir); the public half is `box.key.pub`. */
export const BOX_KEY_FILE = 'box.key';

/** Where the box key of a state directory lives (provisioning writes it there). */
export function boxKeyPath(stateDir: string): string {
  return join(stateDir, BOX_KEY_FILE);
}

/**
 * The box's identity: one Ed25519 key pair per box, kept in the state directory
 * (`<storage.dir>/box.key`, PKCS#8 PEM, mode 0600; `box.key.pub` beside it). It signs every
 * command reply, its public key and key id are in the retained status and the commissioning
 * record, and secrets the box needs to be unguessable (its MQTT client id) are derived from it.
 */
export interface BoxIdentity {
  /** raw 32-byte public key, base64 (44 characters): what the platform pins */
  readonly publicKey: PublicKeyText;
  /** first 16 hex digits of SHA-256 over the raw public key */
  readonly keyId: string;
  /** the private key file */
  readonly file: string;
  /** true when this start created the key (first start of a box nobody provisioned) */
  readonly created: boolean;
  /** false when a new key could not be written (read-only or full disk): it lasts this run only */
  readonly persisted: boolean;
  /** Ed25519 signature of `data` by the box key, base64 (64 bytes) */
  sign(data: Uint8Array): string;
  /** the private key, for the uplink worker that signs replies (KeyObjects cross threads); never logged or serialised */
  readonly privateKey: KeyObject;
  /** true when `signature` is the box key's signature over `data` */
  verify(data: Uint8Array, signature: string): boolean;
  /**
   * A secret value derived from the private key for `label`: HMAC-SHA256(key = the private
   * key's PKCS#8 DER, `label`), hex. Stable for the life of the key, unguessable without it,
   * different per label (e.g. 'mqtt-client-id').
   */
  derive(label: string): string;
}

export interface IdentityOptions {
  /** a key file readable by group or others was tightened to 0600 (mode before) */
  onLoose?(file: string, mode: number): void;
  /**
   * A new key could not be written (read-only or full disk). With this callback the box runs on
   * a key held in memory for this run (replies then fail verification against the pinned key,
   * which is the safe side) instead of not starting at all; without it the error is thrown.
   */
  onWriteError?(file: string, error: Error): void;
}

/**
 * Load the box key from `stateDir`, or create it on first start (directory made 0750 when it
 * does not exist yet). A key file that exists but cannot be read as an Ed25519 key throws a
 * `KeyFileError` naming the file: a box never silently changes identity, since the platform
 * pins its public key.
 */
export function loadOrCreateIdentity(stateDir: string, options: IdentityOptions = {}): BoxIdentity {
  const file = boxKeyPath(stateDir);
  let created = false;
  let pair: KeyPair;
  if (existsSync(file)) {
    pair = readPrivateKey(file, (mode) => options.onLoose?.(file, mode));
  } else {
    pair = generateKeyPair();
    created = true;
    try {
      mkdirSync(stateDir, { recursive: true, mode: 0o750 });
      writeKeyFiles(file, pair);
    } catch (e) {
      if (!options.onWriteError) throw e;
      options.onWriteError(file, e as Error);
      return identityOf(pair, file, created, false);
    }
  }
  return identityOf(pair, file, created);
}

/** An identity over a key pair already in memory (tests, tools that hold a box's key). */
export function identityOf(pair: KeyPair, file: string, created = false, persisted = true): BoxIdentity {
  const publicKey = publicKeyText(pair.publicKey);
  const der = pair.privateKey.export({ format: 'der', type: 'pkcs8' });
  return {
    publicKey,
    keyId: keyId(publicKey),
    file,
    created,
    persisted,
    privateKey: pair.privateKey,
    sign: (data) => signBytes(pair.privateKey, data),
    verify: (data, signature) => verifyBytes(pair.publicKey, data, signature),
    derive: (label) => createHmac('sha256', der).update(label, 'utf8').digest('hex'),
  };
}
