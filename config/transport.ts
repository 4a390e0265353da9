import { z } from 'zod';
import { displayUrl, isLoopbackHost } from './url.js';

export { displayUrl, isLoopbackHost };

/**
 * The uplink's transport keys: broker URL, credentials and TLS files. Secrets never live in a
 * profile: a profile is copied onto laptops, diffed, hashed into the commissioning record and
 * put into support bundles. The password lives in a file of its own (uplink.passwordFile), the
 * TLS key in a key file; the profile holds their paths only.
 */

const URL_FORM = /^(mqtts?|wss?|tcp):\/\/[^\s]+$/;

export const brokerUrl = z
  .string()
  // the pattern also goes into the editor's JSON Schema; the message never echoes credentials
  .regex(URL_FORM, { error: (iss) => `${JSON.stringify(displayUrl(String(iss.input)))} is not an MQTT URL (mqtt://host:port or mqtts://…)` })
  // the URL is printed in logs, diag reports and the commissioning record: no secret in it
  .refine((url) => !/^[a-z]+:\/\/[^/]*@/i.test(url), {
    error: (iss) =>
      `${JSON.stringify(displayUrl(String(iss.input)))}: credentials in the URL are refused (the URL appears in logs and reports); put the user name in uplink.username and the password in a file named by uplink.passwordFile`,
  })
  .default('mqtt://127.0.0.1:1883')
  .meta({ description: 'mqtt://host:port, or mqtts://host:8883 for TLS; never with user:password@' });

const pemFile = (what: string): z.ZodString =>
  z.string().min(1).meta({ description: `${what} (PEM file; a relative path is relative to the profile's folder)` });

export const tlsSchema = z
  .strictObject({
    ca: pemFile('CA certificate(s) the broker certificate must chain to; default: the system trust store').optional(),
    cert: pemFile("the box's client certificate, for brokers that require one (mutual TLS)").optional(),
    key: pemFile("the private key of the client certificate (mode 0600, owner edgefw)").optional(),
    servername: z.string().min(1).optional().meta({ description: "host name the broker certificate must carry, when it differs from the URL's host (SNI and verification)" }),
  })
  .meta({ description: 'TLS for mqtts:// and wss:// (docs/security.md)' });

export const credentialKeys = {
  username: z.string().min(1).max(256).optional().meta({ description: 'broker user name (not secret: appears in the broker ACL)' }),
  passwordFile: z.string().min(1).optional().meta({ description: 'file holding the broker password (one line, mode 0600); read at start, never logged' }),
  password: z
    .undefined({
      error: 'a password is not written in the profile (it would travel with every copy of it); put it in a file readable only by the edgefw user and name that file in uplink.passwordFile',
    })
    .optional()
    .meta({ description: 'refused: use passwordFile' }),
  tls: tlsSchema.optional(),
};

/** Problems of a parsed uplink section that span several keys; paths are relative to `uplink`. */
export function transportProblems(u: {
  url: string;
  username?: string | undefined;
  passwordFile?: string | undefined;
  tls?: z.infer<typeof tlsSchema> | undefined;
  embeddedBroker?: { host: string } | undefined;
}): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  const secure = /^(mqtts|wss):/.test(u.url);
  if (u.tls && !secure && !u.embeddedBroker) {
    out.push({ path: ['tls'], message: `TLS files are given but uplink.url is ${JSON.stringify(displayUrl(u.url))}; use mqtts://host:8883 (or wss://)` });
  }
  if (u.tls && (u.tls.cert === undefined) !== (u.tls.key === undefined)) {
    out.push({ path: ['tls', u.tls.cert === undefined ? 'cert' : 'key'], message: 'a client certificate needs its key, and a key its certificate: give both cert and key' });
  }
  if (u.passwordFile !== undefined && u.username === undefined) {
    out.push({ path: ['username'], message: 'required with passwordFile (MQTT sends a password only with a user name)' });
  }
  if (u.embeddedBroker && !isLoopbackHost(u.embeddedBroker.host)) {
    out.push({
      path: ['embeddedBroker', 'host'],
      message: `${JSON.stringify(u.embeddedBroker.host)}: the embedded broker has no authentication and binds loopback only (127.0.0.1, ::1 or localhost); boxes on a network talk to the city broker through uplink.url`,
    });
  }
  return out;
}

