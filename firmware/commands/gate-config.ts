import { join } from 'node:path';
import type { Logger } from 'pino';
import { resolveTrustList } from '../../config/trust.js';
import type { Profile } from '../../config/schema.js';
import type { BoxIdentity } from '../security/identity.js';
import { BOX_SIGNER } from '../security/signers.js';
import type { CommandGateConfig } from '../uplink/commands.js';

/**
 * The uplink worker's command gate from a profile: the trust list with its key files read (and
 * the demo's made), the box's own key trusted for `diag` only, the limits, the replay file in
 * storage.dir, and the box key that signs every reply. Throws naming the entry when a key file
 * cannot be read (`commands.trust[1].keyFile: …`).
 */
export function commandGateConfig(profile: Profile, commands: Profile['commands'], identity: BoxIdentity, clockTrusted: boolean, log: Logger): CommandGateConfig {
  const c = commands;
  const trust = resolveTrustList(c, (file) => log.warn({ file }, 'created a key pair for the trust list (commands.trust[].create: demo only)'));
  if (trust.length === 0) log.info('no trust list (commands.trust): this box refuses every command from the network');
  // the box's own key may ask for diag: `edgefw diag` on the box, by someone who can read the key
  trust.push({ name: BOX_SIGNER, key: identity.publicKey, allow: ['diag'] });
  return {
    intake: {
      boxId: profile.box.id, trust, maxBytes: c.maxBytes, rate: c.rate, skewMs: c.skew, maxLifetimeMs: c.maxLifetime,
      json: c.json, replayCache: c.replayCache, replayFile: join(profile.storage.dir, 'command-nonces'),
    },
    signingKey: identity.privateKey,
    keyId: identity.keyId,
    clockTrusted,
    refusalFault: c.refusalFault,
  };
}
