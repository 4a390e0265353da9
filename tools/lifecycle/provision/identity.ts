import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, readFileSync } from 'node:fs';
import { writeDurable } from '../../../firmware/lifecycle/state.js';
import type { Change, Owner } from './changes.js';

/**
 * The box identity (an Ed25519 key in the state directory, owned by the trust-boundary work:
 * firmware/security/identity.ts) and a certificate signing request for the city's CA, so the
 * broker can authenticate the box by mutual TLS. node:crypto makes keys but cannot write a
 * CSR (PKCS#10), so the CSR comes from `openssl req` (installed on Raspberry Pi OS and Debian).
 */
export interface BoxKeySource {
  /** the key file inside the state directory */
  keyFile(stateDir: string): string;
  /** create the key if missing (never replaces one: the platform pins it) */
  ensure(stateDir: string): void;
}

export interface CsrSubject {
  /** CN: the box id from the profile */
  readonly boxId: string;
  /** O: the city or operator, optional */
  readonly organisation?: string;
}

function subjectOf(s: CsrSubject): string {
  const esc = (v: string): string => v.replace(/[/\\=+,]/g, (c) => `\\${c}`);
  return `/CN=${esc(s.boxId)}${s.organisation ? `/O=${esc(s.organisation)}` : ''}`;
}

function openssl(args: string[], input?: string): string {
  return execFileSync('openssl', args, { encoding: 'utf8', stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], ...(input !== undefined ? { input } : {}) });
}

/** Does the CSR on disk carry this key and this subject? */
function csrCurrent(csr: string, key: string, subject: CsrSubject): boolean {
  try {
    const pub = openssl(['pkey', '-in', key, '-pubout']);
    const csrPub = openssl(['req', '-in', csr, '-noout', '-pubkey']);
    const subj = openssl(['req', '-in', csr, '-noout', '-subject', '-nameopt', 'compat']);
    return pub.trim() === csrPub.trim() && subj.trim() === `subject=${subjectOf(subject)}`;
  } catch {
    return false;
  }
}

export function identityChanges(stateDir: string, csrFile: string, subject: CsrSubject, keys: BoxKeySource, owner: () => Owner | undefined): Change[] {
  const key = keys.keyFile(stateDir);
  const changes: Change[] = [];
  const own = (f: string, mode: number): void => {
    chmodSync(f, mode);
    const o = owner();
    if (o && process.getuid?.() === 0) chownSync(f, o.uid, o.gid);
  };
  if (!existsSync(key)) {
    changes.push({ what: `create the box identity key ${key} (Ed25519, 0600)`, apply: () => {
      keys.ensure(stateDir);
      own(key, 0o600);
      if (existsSync(`${key}.pub`)) own(`${key}.pub`, 0o644);
    } });
  }
  if (!existsSync(key) || !existsSync(csrFile) || !csrCurrent(csrFile, key, subject)) {
    changes.push({
      what: `${existsSync(csrFile) ? 'renew' : 'create'} the certificate signing request ${csrFile} (CN=${subject.boxId}${subject.organisation ? `, O=${subject.organisation}` : ''}; openssl req) for the city's CA`,
      apply: () => {
        const pem = openssl(['req', '-new', '-key', key, '-subj', subjectOf(subject)]);
        writeDurable(csrFile, pem, 0o644);
      },
    });
  }
  return changes;
}

/** The CSR as text, for the provisioning summary. */
export function readCsr(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}
