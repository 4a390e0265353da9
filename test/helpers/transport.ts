import { parseProfileText } from '../../config/load.js';
import { readTransportFiles } from '../../config/secrets.js';
import type { FaultCode } from '../../firmware/diagnostics/catalog.js';
import { Scheduler } from '../../firmware/loop/scheduler.js';
import type { UplinkConfig } from '../../firmware/uplink/protocol.js';
import { MemoryQueue } from '../../firmware/uplink/queue.js';
import { UplinkSession } from '../../firmware/uplink/session.js';

export interface FaultNote {
  readonly op: 'raise' | 'clear';
  readonly code: FaultCode;
  readonly message?: string;
}

/** An uplink session as the worker runs it, with the transport faults and log lines it reports. */
export interface TestSession {
  readonly session: UplinkSession;
  readonly faults: FaultNote[];
  readonly logs: string[];
  /** resolves with the first raise of `code`; rejects after timeoutMs naming what was seen */
  raised(code: FaultCode, timeoutMs?: number): Promise<FaultNote>;
  stop(): Promise<void>;
}

/**
 * Start a session for a box whose profile uplink section is `uplinkYaml` (YAML flow mapping),
 * with its files read by the loader's reader, exactly as the runtime does.
 */
export function startTestSession(box: string, uplinkYaml: string, o: { clientId?: string; protocolVersion?: 4 | 5; commands?: boolean } = {}): TestSession {
  const profile = parseProfileText(`box: { id: ${box} }\nuplink: ${uplinkYaml}\n`, 'box.yaml');
  const files = readTransportFiles(profile.uplink);
  if (files.problems.length > 0) throw new Error(files.problems.join('\n'));
  const config: UplinkConfig = {
    url: profile.uplink.url, clientId: o.clientId ?? `${box}-client`, keepaliveMs: 5000, prefix: profile.uplink.topicPrefix, boxId: box, boot: 1, firmware: 'test',
    ...(profile.uplink.username !== undefined ? { username: profile.uplink.username } : {}),
    secrets: files.secrets,
    reconnectMinMs: 300, reconnectMaxMs: 600, maxSamplesPerMessage: 10, inflightWindow: 4, memoryQueueLimit: 1000, commitIntervalMs: 50, drainRate: 0,
    protocolVersion: o.protocolVersion ?? 5,
  };
  const scheduler = new Scheduler();
  const faults: FaultNote[] = [];
  const logs: string[] = [];
  const session = new UplinkSession(config, new MemoryQueue({ maxRows: 1000, maxBytes: 1e9, maxAgeMs: 0, policy: 'drop-oldest', boot: 1 }), scheduler, {
    stats: () => undefined,
    log: (level, msg, fields) => logs.push(`${level} ${msg} ${JSON.stringify(fields ?? {})}`),
    fault: (op, code, message) => faults.push({ op, code, ...(message !== undefined ? { message } : {}) }),
    ...(o.commands ? { command: () => undefined } : {}),
  });
  session.start();
  let stopped = false;
  return {
    session,
    faults,
    logs,
    raised: async (code, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const f = faults.find((x) => x.op === 'raise' && x.code === code);
        if (f) return f;
        if (Date.now() > deadline) throw new Error(`no ${code} within ${timeoutMs} ms; faults: ${JSON.stringify(faults)}; log: ${logs.slice(-5).join(' | ')}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await session.stop(500);
      scheduler.stop();
    },
  };
}

export async function waitUntil(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
