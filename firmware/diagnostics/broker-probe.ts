import { type KeyObject, randomBytes } from 'node:crypto';
import type { KeyPair } from '../security/keys.js';
import type { DiagReport } from './diag.js';
import type { ActiveFault } from './registry.js';
import { type BrokerTransport, transportOptions } from '../uplink/transport.js';

/** mqtt.js on first probe: the sampling thread of a running box loads it only if a probe runs. */
const loadMqtt = async (): Promise<typeof import('mqtt').default> => (await import('mqtt')).default;

export type BrokerProbe = { ok: true; rttMs: number; retainedFaults: readonly ActiveFault[] | undefined } | { ok: false; error: string; errorCode?: unknown };

export interface BrokerProbeOptions extends BrokerTransport {
  /** <prefix>/<box>: the probe echoes on <base>/diag/echo/<random>, and reads the retained <base>/faults */
  readonly base: string;
  readonly timeoutMs?: number;
}

/**
 * The round-trip message of `edgefw diag` (docs/mqtt.md, `<p>/<box>/diag/echo/<probe>`): JSON
 * like every other payload, `{"v":1,"probe":"<8 hex>","sent":<Unix ms>}`, QoS 1, not retained.
 * Only the probe that sent it listens; anything else on the topic is ignored.
 */
export function echoPayload(probe: string, sentMs: number): string {
  return JSON.stringify({ v: 1, probe, sent: sentMs });
}

function isEchoOf(payload: Buffer, probe: string): boolean {
  if (payload.length > 256) return false;
  try {
    return (JSON.parse(payload.toString('utf8')) as { probe?: unknown }).probe === probe;
  } catch {
    return false;
  }
}

/**
 * Is the broker reachable, and how long is a round trip? Connects with its own client id,
 * subscribes to a private echo topic, publishes one QoS 1 message to it and times its return
 * (connect time excluded). Also picks up the box's retained fault snapshot, which tells a
 * technician what the running service has seen. Never throws; resolves within timeoutMs.
 */
export async function probeBroker(o: BrokerProbeOptions): Promise<BrokerProbe> {
  const mqtt = await loadMqtt();
  const timeoutMs = o.timeoutMs ?? 5000;
  const probeId = randomBytes(4).toString('hex');
  const echo = `${o.base}/diag/echo/${probeId}`;
  return new Promise((resolve) => {
    const client = mqtt.connect(o.url, {
      clientId: `edgefw-diag-${randomBytes(4).toString('hex')}`,
      ...transportOptions(o),
      reconnectPeriod: 0,
      connectTimeout: timeoutMs,
      clean: true,
    });
    let done = false;
    let retained: readonly ActiveFault[] | undefined;
    let sentAt = 0;
    const finish = (r: BrokerProbe): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      client.end(true);
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, error: `no answer within ${timeoutMs} ms` }), timeoutMs);
    client.on('error', (e) => finish({ ok: false, error: e.message, errorCode: (e as { code?: unknown }).code }));
    client.on('close', () => finish({ ok: false, error: 'connection closed' }));
    client.on('message', (topic, payload) => {
      if (topic === `${o.base}/faults`) {
        try {
          retained = (JSON.parse(payload.toString('utf8')) as { active?: ActiveFault[] }).active;
        } catch {
          /* not ours to judge here */
        }
      } else if (topic === echo) {
        if (!isEchoOf(payload, probeId)) return;
        const rttMs = performance.now() - sentAt;
        // the retained snapshot arrives right after SUBACK; give it a moment if it has not yet
        setTimeout(() => finish({ ok: true, rttMs, retainedFaults: retained }), retained ? 0 : 100);
      }
    });
    client.on('connect', () => {
      client.subscribe([`${o.base}/faults`, echo], { qos: 1 }, (err) => {
        if (err) return finish({ ok: false, error: err.message });
        sentAt = performance.now();
        client.publish(echo, echoPayload(probeId, Date.now()), { qos: 1 });
      });
    });
  });
}

/**
 * Ask the running service for its diag report with a signed `diag` command (the box key, read
 * on the box, or a trust-list key). Resolves `report` only from a reply the box signed;
 * `note` says why there is none (service not running, refused, forged replies), so the caller can
 * check by itself instead. Never throws.
 */
export async function requestServiceDiag(o: BrokerProbeOptions & { readonly box: string; readonly key: KeyPair; readonly boxKey?: KeyObject }): Promise<{ report?: DiagReport; note?: string }> {
  // the command client (and mqtt.js) only when a technician asks, never on a box's sampling thread
  const { sendCommand } = await import('../commands/client.js');
  const r = await sendCommand({
    url: o.url, base: o.base, box: o.box, cmd: 'diag', privateKey: o.key.privateKey, publicKey: o.key.publicKey, timeoutMs: o.timeoutMs ?? 15_000,
    ...(o.username ? { username: o.username } : {}), ...(o.secrets ? { secrets: o.secrets } : {}), ...(o.boxKey ? { boxKey: o.boxKey } : {}),
  });
  if (r.status === 'reply') {
    const report = r.reply.result?.report as DiagReport | undefined;
    if (r.reply.ok && report) return { report, ...(r.forged > 0 ? { note: `${r.forged} forged diag reply/replies refused` } : {}) };
    return { note: `the service refused diag: ${r.reply.reason ?? ''} ${r.reply.error ?? ''}` };
  }
  if (r.status === 'offline') return {};
  return { note: `${r.detail}${r.status === 'no-reply' && r.forged > 0 ? `; ${r.forged} forged reply/replies refused` : ''}` };
}
