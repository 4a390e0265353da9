import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeDurable } from '../../../firmware/lifecycle/state.js';
import { publicKeyText } from '../keys.js';
import type { BoxKeySource } from './identity.js';

/** TEMPORARY until the trust-boundary identity module lands on main: same file names and formats. */
export const boxKeySource: BoxKeySource = {
  keyFile: (stateDir) => join(stateDir, 'box.key'),
  ensure: (stateDir) => {
    const file = join(stateDir, 'box.key');
    if (existsSync(file)) return;
    mkdirSync(stateDir, { recursive: true });
    const pair = generateKeyPairSync('ed25519');
    writeDurable(`${file}.pub`, `${publicKeyText(pair.publicKey)}\n`, 0o644);
    writeDurable(file, pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), 0o600);
  },
};
