import { isAbsolute, join } from 'node:path';
import type { Profile } from '../../config/schema.js';
import type { OutboxConfig } from './protocol.js';

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
