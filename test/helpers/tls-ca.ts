import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './scratch.js';

/**
 * A test PKI made with the openssl command line, as a city would with its own CA: a city CA, a
 * broker certificate for localhost/127.0.0.1, and box certificates — good, expired, and one
 * from another CA. Expired certificates get explicit past dates with `openssl ca -startdate
 * -enddate` (OpenSSL 3.0 has no x509 -not_before; no faketime needed). EC P-256 keys: fast.
 */
export interface TestPki {
  readonly dir: string;
  /** the city CA's certificate */
  readonly ca: string;
  /** an unrelated CA (a test bench's, an attacker's) */
  readonly otherCa: string;
  readonly server: KeyPair;
  /** broker certificate valid for broker.other.example only */
  readonly serverWrongHost: KeyPair;
  /** broker certificate from the city CA, dates in the past */
  readonly serverExpired: KeyPair;
  readonly client: KeyPair;
  readonly clientExpired: KeyPair;
  /** a box certificate issued by the other CA */
  readonly clientOtherCa: KeyPair;
  /** issue one more certificate from the city CA (CN = box id) */
  issueClient(cn: string): KeyPair;
  remove(): void;
}

export interface KeyPair {
  readonly cert: string;
  readonly key: string;
}

const openssl = (dir: string, args: string[]): void => {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
};

function makeCa(dir: string, name: string, cn: string): void {
  const d = join(dir, name);
  mkdirSync(join(d, 'new'), { recursive: true, mode: 0o755 });
  writeFileSync(join(d, 'index.txt'), '');
  writeFileSync(join(d, 'serial'), '1000\n');
  writeFileSync(
    join(d, 'ca.cnf'),
    [
      '[ca]', 'default_ca = city', '[city]', `dir = ${d}`, 'database = $dir/index.txt', 'new_certs_dir = $dir/new', 'serial = $dir/serial',
      'certificate = $dir/ca.crt', 'private_key = $dir/ca.key', 'default_md = sha256', 'policy = any', 'unique_subject = no', 'copy_extensions = none',
      '[any]', 'commonName = supplied', '',
    ].join('\n'),
  );
  openssl(d, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '3650', '-subj', `/CN=${cn}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
}

let serial = 0;

function issue(dir: string, caName: string, cn: string, o: { server?: string[]; start?: string; end?: string }): KeyPair {
  const id = `${cn}-${++serial}`;
  const key = join(dir, `${id}.key`);
  const csr = join(dir, `${id}.csr`);
  const cert = join(dir, `${id}.crt`);
  const ext = join(dir, `${id}.ext`);
  openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${cn}`]);
  const san = o.server ? [`subjectAltName = ${o.server.map((h) => (/^[\d.]+$/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(', ')}`, 'extendedKeyUsage = serverAuth'] : ['extendedKeyUsage = clientAuth'];
  writeFileSync(ext, ['basicConstraints = CA:FALSE', 'keyUsage = critical, digitalSignature, keyAgreement', ...san, ''].join('\n'));
  const dates = o.start && o.end ? ['-startdate', o.start, '-enddate', o.end] : ['-days', '365'];
  const caDir = join(dir, caName);
  openssl(dir, ['ca', '-batch', '-notext', '-config', join(caDir, 'ca.cnf'), '-extfile', ext, '-in', csr, '-out', cert, ...dates]);
  // a broker started as root drops to the mosquitto user: it must be able to read its key
  chmodSync(key, o.server ? 0o644 : 0o600);
  return { cert, key };
}

/** Make the whole test PKI in a temporary folder (~1 s of openssl). */
export function makeTestPki(): TestPki {
  const dir = tempDir('pki');
  chmodSync(dir, 0o755); // readable by a broker that dropped root
  makeCa(dir, 'city', 'edgefw test city CA');
  makeCa(dir, 'other', 'some other CA');
  const past = { start: '20200101000000Z', end: '20210101000000Z' };
  const local = ['localhost', '127.0.0.1'];
  return {
    dir,
    ca: join(dir, 'city', 'ca.crt'),
    otherCa: join(dir, 'other', 'ca.crt'),
    server: issue(dir, 'city', 'localhost', { server: local }),
    serverWrongHost: issue(dir, 'city', 'broker.other.example', { server: ['broker.other.example'] }),
    serverExpired: issue(dir, 'city', 'localhost', { server: local, ...past }),
    client: issue(dir, 'city', 'tls-box', {}),
    clientExpired: issue(dir, 'city', 'tls-box', past),
    clientOtherCa: issue(dir, 'other', 'tls-box', {}),
    issueClient: (cn) => issue(dir, 'city', cn, {}),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Mosquitto listener lines for TLS with this server pair and CA. */
export function tlsListener(pki: TestPki, server: KeyPair, o: { requireCertificate: boolean }): string[] {
  return [
    `cafile ${pki.ca}`, `certfile ${server.cert}`, `keyfile ${server.key}`,
    ...(o.requireCertificate ? ['require_certificate true', 'use_identity_as_username true'] : ['allow_anonymous true']),
  ];
}
