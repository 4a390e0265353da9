import type { KeyObject } from 'node:crypto';
import mqtt from 'mqtt';
import type { TransportSecrets } from '../../config/secrets.js';
import { displayUrl } from '../../config/url.js';
import { transportOptions } from '../uplink/transport.js';
import { parseBoundedJson } from '../security/bounded-json.js';
import { type CommandReply, signCommand, verifyReply } from '../security/envelope.js';
import { keyId, parsePublicKey, publicKeyText } from '../security/keys.js';

export interface SendCommandOptions {
  readonly url: string;
  readonly username?: string;
  /** the password and TLS files of the profile (config/secrets.ts brokerTransport) */
  readonly secrets?: TransportSecrets;
  /** <prefix>/<box> */
  readonly base: string;
  readonly box: string;
  readonly cmd: string;
  readonly args?: Record<string, unknown>;
  /** the sender's key pair (a trust-list key) */
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** the box's public key, pinned; absent = taken from the box's retained status */
  readonly boxKey?: KeyObject;
  /** how long to wait for the signed reply, ms (default 15 s) */
  readonly timeoutMs?: number;
  /** envelope lifetime, ms (default 60 s) */
  readonly lifetimeMs?: number;
}

export type SendResult =
  | { readonly status: 'reply'; readonly reply: CommandReply; readonly boxKeyFrom: 'pinned' | 'status'; readonly forged: number }
  /** no retained status saying "online": the service is not running (or never ran) here */
  | { readonly status: 'offline'; readonly detail: string }
  | { readonly status: 'no-reply'; readonly forged: number; readonly detail: string }
  | { readonly status: 'error'; readonly detail: string };

/**
 * Send one signed command to a box and wait for its reply, signed by the box: `edgefw cmd`,
 * `edgefw diag` and `edgefw ack` all go through here. A reply with the right `re` that is not
 * signed by the box's key (pinned, or from its retained status) is refused and counted as
 * forged; waiting continues for the real one. Never throws.
 */
export function sendCommand(o: SendCommandOptions): Promise<SendResult> {
  const timeoutMs = o.timeoutMs ?? 15_000;
  return new Promise((resolve) => {
    const client = mqtt.connect(o.url, { ...transportOptions(o), reconnectPeriod: 0, connectTimeout: 5000, clean: true });
    const shown = displayUrl(o.url);
    let done = false;
    let forged = 0;
    let boxKey = o.boxKey;
    let nonce: string | undefined;
    const finish = (r: SendResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      client.end(true);
      resolve(r);
    };
    // a retained status arrives right after SUBACK; none within 2 s means no service has run here
    let timer = setTimeout(() => finish({ status: 'offline', detail: `no retained status on ${o.base}/status (has the service ever run with this box id and broker?)` }), 2000 + 5000);
    client.on('error', (e) => finish({ status: 'error', detail: `broker ${shown}: ${e.message}` }));
    client.on('close', () => finish({ status: 'error', detail: `broker ${shown}: connection closed` }));
    client.on('message', (topic, payload) => {
      const parsed = parseBoundedJson(payload.toString('utf8'));
      if (!parsed.ok || parsed.value === null || typeof parsed.value !== 'object') return;
      const m = parsed.value as Record<string, unknown>;
      if (topic === `${o.base}/status`) {
        if (nonce) return;
        if (m.state !== 'online') return finish({ status: 'offline', detail: `${o.box} is ${String(m.state)} (${String(m.reason ?? '')})` });
        if (!boxKey) {
          try {
            boxKey = parsePublicKey(String(m.key));
          } catch {
            return finish({ status: 'error', detail: `${o.box}'s status carries no box key (firmware before signed replies?); give --box-key` });
          }
        }
        const env = signCommand({ cmd: o.cmd, box: o.box, args: o.args ?? {}, lifetimeMs: o.lifetimeMs ?? 60_000 }, o.privateKey, o.publicKey);
        nonce = env.nonce;
        clearTimeout(timer);
        timer = setTimeout(() => finish({ status: 'no-reply', forged, detail: `no reply signed by ${o.box} within ${timeoutMs} ms` }), timeoutMs);
        client.publish(`${o.base}/cmd/${o.cmd}`, JSON.stringify(env), { qos: 1 });
      } else if (topic === `${o.base}/cmd/${o.cmd}/reply` && nonce && m.re === nonce) {
        if (!boxKey || !verifyReply(m, boxKey)) {
          forged++;
          return;
        }
        finish({ status: 'reply', reply: m as unknown as CommandReply, boxKeyFrom: o.boxKey ? 'pinned' : 'status', forged });
      }
    });
    client.on('connect', () => {
      client.subscribe([`${o.base}/status`, `${o.base}/cmd/${o.cmd}/reply`], { qos: 1 }, (err) => {
        if (err) finish({ status: 'error', detail: `subscribe: ${err.message}` });
      });
    });
  });
}

/** "key id (base64 key)" of a public key, for messages. */
export function describeKey(key: KeyObject): string {
  const text = publicKeyText(key);
  return `${keyId(text)} (${text})`;
}
