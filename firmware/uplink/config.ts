import { isAbsolute, join } from 'node:path';
import type { Profile } from '../../config/schema.js';
import type { TransportSecrets } from '../../config/secrets.js';
import type { BoxIdentity } from '../security/identity.js';
import type { BootIdentity } from '../state/boot.js';
import { FIRMWARE_VERSION } from '../version.js';
import type { CommandGateConfig } from './commands.js';
import type { OutboxConfig } from './protocol.js';
import { defaultClientId } from './transport.js';
import type { UplinkOptions } from './uplink.js';

/** The outbox settings of a profile, as the uplink worker takes them. */
export function outboxConfig(p: Profile): OutboxConfig {
  const o = p.uplink.outbox;
  return {
    path: isAbsolute(o.file) ? o.file : join(p.storage.dir, o.file),
    commitIntervalMs: o.commitInterval,
    maxRows: o.maxRows,
    maxBytes: o.maxBytes,
    maxAgeMs: o.maxAge,
    policy: o.policy,
    ringRows: o.memoryRing,
    retryMs: 2000,
  };
}

/** how often readings cross to the uplink worker when it keeps an outbox, ms at most */
export const FLUSH_WITH_OUTBOX_MS = 50;

/** What the composition root knows at start that the profile does not. */
export interface UplinkStart {
  /** the broker to use (the embedded broker's address when the profile runs one) */
  readonly url: string;
  readonly identity: BoxIdentity;
  readonly boot: BootIdentity;
  /** password and TLS files, read and bounded (config/secrets.ts) */
  readonly secrets?: TransportSecrets;
  readonly commands: CommandGateConfig;
}

/** The uplink seam's settings from a profile (firmware/uplink/uplink.ts, the worker's UplinkConfig). */
export function uplinkOptions(p: Profile, at: UplinkStart): UplinkOptions {
  const { identity, boot } = at;
  return {
    config: {
      url: at.url,
      clientId: p.uplink.clientId ?? defaultClientId(p.box.id, identity),
      ...(p.uplink.username !== undefined && !p.uplink.embeddedBroker ? { username: p.uplink.username } : {}),
      ...(at.secrets ? { secrets: at.secrets } : {}),
      keepaliveMs: p.uplink.keepalive,
      prefix: p.uplink.topicPrefix,
      boxId: p.box.id,
      boot: boot.boot,
      bootId: boot.bootId,
      firstStart: boot.firstStart,
      firmware: FIRMWARE_VERSION,
      identity: { key: identity.publicKey, keyId: identity.keyId },
      reconnectMinMs: p.uplink.reconnect.min,
      reconnectMaxMs: p.uplink.reconnect.max,
      maxSamplesPerMessage: p.uplink.batch.maxSamples,
      inflightWindow: 16,
      memoryQueueLimit: 100_000,
      // the embedded broker (aedes) speaks 3.1.1 only
      protocolVersion: p.uplink.embeddedBroker ? 4 : p.uplink.protocolVersion,
      commitIntervalMs: 50,
      drainRate: p.uplink.outbox.drainRate,
      ...(p.uplink.outbox.enabled ? { outbox: outboxConfig(p) } : {}),
      commands: at.commands,
      maxIncomingBytes: Math.max(65_536, 4 * p.commands.maxBytes),
    },
    batchMaxSamples: p.uplink.batch.maxSamples,
    // with an outbox, messages are made from committed rows: hand readings to the worker often,
    // so a power cut loses at most FLUSH_WITH_OUTBOX_MS + commitInterval (docs/mqtt.md)
    batchMaxDelayMs: p.uplink.outbox.enabled ? Math.min(p.uplink.batch.maxDelay, FLUSH_WITH_OUTBOX_MS) : p.uplink.batch.maxDelay,
    // with an outbox, readings go over at the end of each burst: one message per shared deadline,
    // and no wake-up of the sampling thread of its own (firmware/uplink/uplink.ts)
    flushAfterBurst: p.uplink.outbox.enabled,
  };
}
