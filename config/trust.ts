import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { generateKeyPair, parsePublicKey, publicKeyText, readPublicKeyFile, writeKeyFiles } from '../firmware/security/keys.js';
import type { CommandsConfig } from './commands.js';

/** A trust-list entry with its key read. */
export interface TrustedKey {
  readonly name: string;
  /** raw 32-byte public key, base64 */
  readonly key: string;
  readonly allow: readonly string[];
}

/**
 * Read the trust list's key files (and create a demo key pair where `create` says so). Throws
 * an error naming the entry (`commands.trust[1].keyFile: …`) when a key cannot be read.
 */
export function resolveTrustList(c: CommandsConfig, onCreate?: (file: string) => void): TrustedKey[] {
  return c.trust.map((t, i) => {
    if (t.key !== undefined) return { name: t.name, key: publicKeyText(parsePublicKey(t.key)), allow: t.allow };
    const pub = t.keyFile as string;
    try {
      if (t.create && !existsSync(pub)) {
        const priv = pub.slice(0, -'.pub'.length);
        mkdirSync(dirname(pub), { recursive: true, mode: 0o750 });
        writeKeyFiles(priv, generateKeyPair());
        onCreate?.(priv);
      }
      return { name: t.name, key: publicKeyText(readPublicKeyFile(pub)), allow: t.allow };
    } catch (e) {
      throw new Error(`commands.trust[${i}].keyFile: ${(e as Error).message}`);
    }
  });
}
