import { boxKeyPath, loadOrCreateIdentity } from '../../../firmware/security/identity.js';
import type { BoxKeySource } from './identity.js';

/** The box key of the trust boundary (firmware/security/identity.ts): provisioning creates it before the first start. */
export const boxKeySource: BoxKeySource = {
  keyFile: (stateDir) => boxKeyPath(stateDir),
  ensure: (stateDir) => void loadOrCreateIdentity(stateDir),
};
