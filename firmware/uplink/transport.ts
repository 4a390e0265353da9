import type { IClientOptions } from 'mqtt';
import { connect as tlsConnect } from 'node:tls';
import type { TransportSecrets } from '../../config/secrets.js';
import { displayUrl } from '../../config/url.js';
import type { FaultCode } from '../diagnostics/catalog.js';

/** How to reach the broker: plain data, so it crosses to the uplink worker. */
export interface BrokerTransport {
  readonly url: string;
  readonly username?: string;
  readonly secrets?: TransportSecrets;
}

/** The part of mqtt.js's options that carries credentials and TLS. */
export function transportOptions(t: BrokerTransport): Pick<IClientOptions, 'username' | 'password' | 'ca' | 'cert' | 'key' | 'servername' | 'rejectUnauthorized'> {
  const tls = t.secrets?.tls;
  return {
    ...(t.username !== undefined ? { username: t.username } : {}),
    ...(t.secrets?.password !== undefined ? { password: t.secrets.password } : {}),
    ...(tls?.ca !== undefined ? { ca: tls.ca } : {}),
    ...(tls?.cert !== undefined ? { cert: tls.cert } : {}),
    ...(tls?.key !== undefined ? { key: tls.key } : {}),
    ...(tls?.servername !== undefined ? { servername: tls.servername } : {}),
    // never turned off: a box that talks to whoever answers is not talking to the city
    rejectUnauthorized: true,
  };
}

/**
 * The box's MQTT client id unless the profile names one: `edgefw-<box id>-<16 hex>`, the hex
 * derived from the box's private key (HMAC, firmware/security/identity.ts). The box id keeps it
 * readable in broker logs; the derived part makes it unguessable, so nobody who knows the box id
 * can connect with the same client id and push the box off the broker (SESSION_TAKEOVER). It is
 * not derived from the public key, which the box publishes in its status.
 */
export function defaultClientId(boxId: string, identity: { derive(label: string): string }): string {
  return `edgefw-${boxId}-${identity.derive('mqtt-client-id').slice(0, 16)}`;
}

export interface TransportFailure {
  readonly code: FaultCode;
  readonly message: string;
}

const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_SIGNATURE_FAILURE', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'INVALID_CA', 'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
]);
/** TLS alerts from the broker about the box's own certificate */
const CLIENT_CERT_REFUSED = /ALERT_(CERTIFICATE_REQUIRED|UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|CERTIFICATE_REVOKED|UNSUPPORTED_CERTIFICATE|ACCESS_DENIED|HANDSHAKE_FAILURE|DECRYPT_ERROR)$/;

/**
 * Which transport fault an mqtt.js error is, if any. `url` is shown (without user information);
 * the message names what the box saw and which side it concerns.
 */
export function classifyTransportError(err: Error & { code?: unknown }, url: string): TransportFailure | undefined {
  const code = typeof err.code === 'string' ? err.code : undefined;
  const where = displayUrl(url);
  const secure = /^(mqtts|wss):/.test(url);
  if (code && UNTRUSTED.has(code)) {
    return { code: 'TLS_SERVER_UNTRUSTED', message: `${where}: the broker's certificate does not chain to a trusted CA (${code}): wrong uplink.tls.ca, or not the city broker` };
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return { code: 'TLS_HOSTNAME_MISMATCH', message: `${where}: ${err.message}` };
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    const what = code === 'CERT_HAS_EXPIRED' ? 'has expired' : 'is not valid yet (is the box clock right?)';
    return { code: 'TLS_CERT_EXPIRED', message: `${where}: the broker's certificate ${what}` };
  }
  if (code === 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED') {
    return { code: 'TLS_CERT_EXPIRED', message: `${where}: the broker refused the box's certificate as expired (or not yet valid)` };
  }
  if (code && CLIENT_CERT_REFUSED.test(code)) {
    return { code: 'TLS_CLIENT_CERT_REFUSED', message: `${where}: the broker refused the box's client certificate (${code.replace(/^ERR_SSL_/, '').toLowerCase()})` };
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG' || code === 'ERR_SSL_HTTP_REQUEST' ||
    (secure && /before secure TLS connection was established/.test(err.message))) {
    return { code: 'TLS_PROTOCOL_MISMATCH', message: `${where}: the port does not speak TLS (a plaintext MQTT port?); use mqtt:// for it or the broker's TLS port (usually 8883)` };
  }
  return undefined;
}

/** An MQTT CONNACK refusal for credentials: 3.1.1 return codes 4/5, MQTT 5 reason codes 0x86/0x87. */
export function classifyConnackRefusal(code: unknown, url: string, protocolVersion: 4 | 5): TransportFailure | undefined {
  const bad = protocolVersion === 5 ? code === 0x86 || code === 0x87 : code === 4 || code === 5;
  if (!bad) return undefined;
  const what = code === 4 || code === 0x86 ? 'bad user name or password' : 'not authorised';
  const hex = `0x${Number(code).toString(16).padStart(2, '0')}`;
  return { code: 'BROKER_AUTH_REFUSED', message: `${displayUrl(url)}: the broker refused the box's login (CONNACK ${hex}, ${what}): check uplink.username and the password file` };
}

/**
 * A connection that closed before the broker answered CONNECT: does the port speak TLS? One TLS
 * handshake attempt, verifying nothing, answers it: 'tls' (a server hello came back, or a TLS
 * alert), 'plain' (the TCP connection opened, but no TLS came back), 'unreachable'.
 */
export function probeTls(host: string, port: number, timeoutMs = 3000): Promise<'tls' | 'plain' | 'unreachable'> {
  return new Promise((resolve) => {
    let tcp = false;
    const s = tlsConnect({ host, port, rejectUnauthorized: false, ...(/^[\d.:]+$/.test(host) ? {} : { servername: host }) });
    const done = (v: 'tls' | 'plain' | 'unreachable'): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(tcp ? 'plain' : 'unreachable'), timeoutMs);
    s.once('connect', () => {
      tcp = true;
    });
    s.once('secureConnect', () => done('tls'));
    // a broker that wants a client certificate alerts after the handshake started: that is TLS
    s.once('error', (e: Error & { code?: string }) => {
      if (typeof e.code === 'string' && e.code.startsWith('ERR_SSL_') && !/WRONG_VERSION|PACKET_LENGTH|HTTP_REQUEST/.test(e.code)) done('tls');
      else done(tcp ? 'plain' : 'unreachable');
    });
    s.once('close', () => done(tcp ? 'plain' : 'unreachable'));
  });
}

/** host and port of an mqtt:// URL (default port 1883) */
export function hostPort(url: string): { host: string; port: number } | undefined {
  try {
    const u = new URL(url.replace(/^tcp:/, 'mqtt:'));
    const secure = /^(mqtts|wss):$/.test(u.protocol);
    return { host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : secure ? 8883 : 1883 };
  } catch {
    return undefined;
  }
}
