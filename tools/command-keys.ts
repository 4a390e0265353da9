import type { KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Profile } from '../config/schema.js';
import { boxKeyPath } from '../firmware/security/identity.js';
import { type KeyPair, parsePublicKey, readPrivateKey, readPublicKeyFile } from '../firmware/security/keys.js';

/**
 * The sender's key for `edgefw cmd`, `diag` and `ack`: --key FILE, or on the box itself the
 * box key in storage.dir when it is readable (the box trusts its own key for diag).
 * Returns an error message instead of throwing.
 */
export function senderKey(file: string | undefined, profile: Profile | undefined): KeyPair | string {
  const path = file ?? (profile ? boxKeyPath(profile.storage.dir) : undefined);
  if (!path) return 'no key: give --key FILE (a private key from `edgefw keygen` whose public half is in the box\'s trust list)';
  if (!file && !existsSync(path)) return `no key: give --key FILE (no box key readable at ${path})`;
  try {
    return readPrivateKey(path, (mode) => console.error(`warning: ${path} was readable by others (mode ${mode.toString(8)}); tightened to 0600`));
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * The box's public key to verify replies with: --box-key (base64 text or a .pub file), else on
 * the box itself its box.key.pub, else undefined (then taken from the retained status).
 */
export function pinnedBoxKey(option: string | undefined, profile: Profile | undefined): KeyObject | string | undefined {
  try {
    if (option) return existsSync(option) ? readPublicKeyFile(option) : parsePublicKey(option);
    const local = profile ? `${boxKeyPath(profile.storage.dir)}.pub` : undefined;
    return local && existsSync(local) ? readPublicKeyFile(local) : undefined;
  } catch (e) {
    return `--box-key: ${(e as Error).message}`;
  }
}
