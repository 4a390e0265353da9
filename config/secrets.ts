import { X509Certificate, createPrivateKey } from 'node:crypto';
import { statSync } from 'node:fs';
import { ProfileError, formatPath, readBounded } from './errors.js';
import type { Profile } from './schema.js';
import { transportWarnings } from './url.js';
import type { BrokerTransport } from '../firmware/uplink/transport.js';

/** Bounds on the files an uplink names: read whole at start, refused unread when larger. */
export const MAX_PASSWORD_BYTES = 1024;
/** a CA bundle may hold a few hundred certificates (Debian's full store is ~200 KiB) */
export const MAX_CA_BYTES = 1024 * 1024;
export const MAX_CERT_BYTES = 64 * 1024;

/** What the uplink needs from its files: plain strings, so they cross to the uplink worker. */
export interface TransportSecrets {
  readonly password?: string;
  readonly tls?: {
    readonly ca?: string;
    readonly cert?: string;
    readonly key?: string;
    readonly servername?: string;
  };
  /** the client certificate's validity, ms since the epoch */
  readonly certValidity?: { readonly from: number; readonly to: number; readonly subject: string };
}

export interface TransportFiles {
  readonly secrets: TransportSecrets;
  /** each names its profile path and file; the uplink cannot start with any of these */
  readonly problems: readonly string[];
  /** worth a WARN in `config check` and `diag` */
  readonly warnings: readonly string[];
}

const DAY = 86_400_000;

/**
 * Read the password and TLS files an uplink names, bounded in size, and check what a technician
 * would otherwise learn only from a failed handshake: each file readable, PEM of the right kind,
 * the key belonging to the certificate, the certificate within its dates. Never puts a secret in
 * a problem or warning text.
 */
export function readTransportFiles(uplink: Profile['uplink'], nowMs = Date.now()): TransportFiles {
  const problems: string[] = [];
  const warnings: string[] = [...transportWarnings(uplink)];
  const at = (path: string[], file: string, what: string): string => `${formatPath(['uplink', ...path])}: ${file}: ${what}`;
  const read = (path: string[], file: string, max: number, secret: boolean): string | undefined => {
    const r = readBounded(file, max);
    if (!r.ok) {
      problems.push(at(path, file, r.problem));
      return undefined;
    }
    if (secret) {
      try {
        if ((statSync(file).mode & 0o004) !== 0) warnings.push(at(path, file, 'readable by every user on the box; chmod 0600 (or 0640 with group edgefw)'));
      } catch {
        /* read above; a race with its removal is reported at the next start */
      }
    }
    return r.data.toString('utf8');
  };

  let password: string | undefined;
  if (uplink.passwordFile !== undefined) {
    const text = read(['passwordFile'], uplink.passwordFile, MAX_PASSWORD_BYTES, true);
    if (text !== undefined) {
      const value = text.replace(/\r?\n$/, '');
      if (value === '') problems.push(at(['passwordFile'], uplink.passwordFile, 'empty'));
      else if (/[\r\n]/.test(value)) problems.push(at(['passwordFile'], uplink.passwordFile, 'more than one line (the whole first line is the password; nothing may follow it)'));
      else password = value;
    }
  }

  const t = uplink.tls;
  let tls: { ca?: string; cert?: string; key?: string; servername?: string } | undefined;
  let certValidity: TransportSecrets['certValidity'];
  if (t) {
    tls = {};
    if (t.servername !== undefined) tls.servername = t.servername;
    if (t.ca !== undefined) {
      const ca = read(['tls', 'ca'], t.ca, MAX_CA_BYTES, false);
      if (ca !== undefined) {
        if (!ca.includes('-----BEGIN CERTIFICATE-----')) problems.push(at(['tls', 'ca'], t.ca, 'no PEM certificate in it (-----BEGIN CERTIFICATE-----)'));
        else tls.ca = ca;
      }
    }
    let x509: X509Certificate | undefined;
    if (t.cert !== undefined) {
      const cert = read(['tls', 'cert'], t.cert, MAX_CERT_BYTES, false);
      if (cert !== undefined) {
        try {
          x509 = new X509Certificate(cert);
          tls.cert = cert;
        } catch (e) {
          problems.push(at(['tls', 'cert'], t.cert, `not a PEM certificate (${(e as Error).message})`));
        }
      }
    }
    if (t.key !== undefined) {
      const key = read(['tls', 'key'], t.key, MAX_CERT_BYTES, true);
      if (key !== undefined) {
        try {
          const k = createPrivateKey(key);
          if (x509 && !x509.checkPrivateKey(k)) problems.push(at(['tls', 'key'], t.key, `does not belong to the certificate ${t.cert ?? ''} (its public key differs)`));
          else tls.key = key;
        } catch (e) {
          const why = /passphrase/i.test((e as Error).message) ? 'encrypted with a passphrase; the box needs it unencrypted (protected by its file mode)' : 'not a PEM private key';
          problems.push(at(['tls', 'key'], t.key, why));
        }
      }
    }
    if (x509 && t.cert !== undefined) {
      const from = Date.parse(x509.validFrom);
      const to = Date.parse(x509.validTo);
      certValidity = { from, to, subject: x509.subject.replace(/\n/g, ', ') };
      const where = formatPath(['uplink', 'tls', 'cert']);
      if (to < nowMs) warnings.push(`${where}: the box's certificate expired on ${new Date(to).toISOString()}; the broker will refuse it (TLS_CERT_EXPIRED)`);
      else if (from > nowMs) warnings.push(`${where}: the box's certificate is valid only from ${new Date(from).toISOString()} (is the box's clock right?)`);
      else if (to - nowMs < 30 * DAY) warnings.push(`${where}: the box's certificate expires on ${new Date(to).toISOString()}, in ${Math.floor((to - nowMs) / DAY)} days; renew it`);
    }
  }
  const secrets: TransportSecrets = {
    ...(password !== undefined ? { password } : {}),
    ...(tls ? { tls } : {}),
    ...(certValidity ? { certValidity } : {}),
  };
  return { secrets, problems, warnings };
}

/** readTransportFiles for a box that is about to connect: any problem is a ProfileError. */
export function transportSecretsOrThrow(profile: Profile, file = 'profile'): TransportFiles {
  const r = readTransportFiles(profile.uplink);
  if (r.problems.length > 0) throw new ProfileError(file, r.problems);
  return r;
}

/**
 * The broker a tool or the box connects to for this profile: the embedded broker when the profile
 * starts one (plain, loopback), else uplink.url with the credentials and TLS files read now.
 * A missing or bad file is a ProfileError naming its path.
 */
export function brokerTransport(profile: Profile, urlOverride?: string): BrokerTransport {
  const eb = profile.uplink.embeddedBroker;
  if (urlOverride === undefined && eb) return { url: `mqtt://${eb.host.includes(':') ? `[${eb.host}]` : eb.host}:${eb.port}` };
  const { secrets } = transportSecretsOrThrow(profile);
  return { url: urlOverride ?? profile.uplink.url, ...(profile.uplink.username !== undefined ? { username: profile.uplink.username } : {}), secrets };
}
