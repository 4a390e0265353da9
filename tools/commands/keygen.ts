import type { Command } from 'commander';
import { generateKeyPair, keyId, publicKeyText, writeKeyFiles } from '../../firmware/security/keys.js';

/**
 * `edgefw keygen FILE`: a new Ed25519 key pair for signing commands: FILE (private, PKCS#8
 * PEM, 0600) and FILE.pub (the public key for a box's trust list).
 */
export function registerKeygen(program: Command): void {
  program
    .command('keygen')
    .description('create an Ed25519 key pair for signing commands: FILE (private, 0600) and FILE.pub (for the trust list)')
    .argument('<file>', 'private key file to write, e.g. ~/.config/edgefw/tech.key')
    .option('--force', 'overwrite an existing key (the old one can no longer sign)')
    .action((file: string, opts: { force?: boolean }) => {
      const pair = generateKeyPair();
      try {
        writeKeyFiles(file, pair, opts.force === true);
      } catch (e) {
        console.error(`keygen: ${(e as Error).message}`);
        process.exitCode = 2;
        return;
      }
      const pub = publicKeyText(pair.publicKey);
      console.log(`private key  ${file} (mode 0600: keep it secret)`);
      console.log(`public key   ${file}.pub`);
      console.log(`key id       ${keyId(pub)}`);
      console.log('');
      console.log('Add it to a box\'s profile, with the commands it may send:');
      console.log('  commands:');
      console.log('    trust:');
      console.log(`      - { name: my-key, key: ${pub}, allow: [diag, ack] }`);
    });
}
