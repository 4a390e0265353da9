import { join } from 'node:path';
import { type CommandEnvelope, type SignCommandInput, signCommand } from '../../firmware/security/envelope.js';
import { type KeyPair, generateKeyPair, publicKeyText, writeKeyFiles } from '../../firmware/security/keys.js';

/** A signing key written as `edgefw keygen` writes it, for tests. */
export interface TestKey {
  readonly file: string;
  readonly pair: KeyPair;
  /** raw public key, base64 (what a trust list holds) */
  readonly pub: string;
  sign(input: SignCommandInput): CommandEnvelope;
}

export function testKey(dir: string, name: string): TestKey {
  const pair = generateKeyPair();
  const file = join(dir, `${name}.key`);
  writeKeyFiles(file, pair);
  return { file, pair, pub: publicKeyText(pair.publicKey), sign: (input) => signCommand(input, pair.privateKey, pair.publicKey) };
}
