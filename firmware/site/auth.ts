import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, len: number, opts: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;

/** The technician passphrase on disk, in the state directory: scrypt parameters, salt and hash only. */
export interface PassphraseRecord {
  readonly v: 1;
  readonly scheme: 'scrypt';
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: string;
  readonly hash: string;
  readonly setAt: string;
}

export const PASSPHRASE_FILE = 'site-passphrase.json';
const PARAMS = { N: 16384, r: 8, p: 1 } as const;
const KEY_LEN = 32;
export const PASSPHRASE_MIN = 10;
export const PASSPHRASE_MAX = 256;

/** Why a passphrase cannot be used; undefined when it can. */
export function passphraseProblem(pw: string): string | undefined {
  if (pw.length < PASSPHRASE_MIN) return `the passphrase must be at least ${PASSPHRASE_MIN} characters (a few words are easier to type on a phone than symbols)`;
  if (pw.length > PASSPHRASE_MAX) return `the passphrase must be at most ${PASSPHRASE_MAX} characters`;
  return undefined;
}

/** Hash and store the passphrase (`edgefw site passphrase`); replaces the previous one atomically. */
export async function setPassphrase(stateDir: string, pw: string): Promise<string> {
  const problem = passphraseProblem(pw);
  if (problem) throw new Error(problem);
  const salt = randomBytes(16);
  const hash = await scrypt(pw.normalize('NFC'), salt, KEY_LEN, { ...PARAMS, maxmem: 64 * 1024 * 1024 });
  const rec: PassphraseRecord = { v: 1, scheme: 'scrypt', ...PARAMS, salt: salt.toString('base64'), hash: hash.toString('base64'), setAt: new Date().toISOString() };
  mkdirSync(stateDir, { recursive: true });
  const file = join(stateDir, PASSPHRASE_FILE);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(rec)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
  return file;
}

function readRecord(stateDir: string): PassphraseRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(join(stateDir, PASSPHRASE_FILE), 'utf8')) as PassphraseRecord;
    if (r.scheme !== 'scrypt' || typeof r.salt !== 'string' || typeof r.hash !== 'string') return undefined;
    // refuse parameters that would let a planted file make every login cost gigabytes
    if (!(r.N >= 1024 && r.N <= 1 << 20 && r.r >= 1 && r.r <= 32 && r.p >= 1 && r.p <= 4)) return undefined;
    return r;
  } catch {
    return undefined;
  }
}

export function passphraseIsSet(stateDir: string): boolean {
  return readRecord(stateDir) !== undefined;
}

/** Compare with the stored hash (scrypt runs on libuv's thread pool, never on the sampling thread). */
export async function checkPassphrase(stateDir: string, pw: string): Promise<'ok' | 'wrong' | 'unset'> {
  const rec = readRecord(stateDir);
  if (!rec) return 'unset';
  if (pw.length === 0 || pw.length > PASSPHRASE_MAX) return 'wrong';
  const want = Buffer.from(rec.hash, 'base64');
  const got = await scrypt(pw.normalize('NFC'), Buffer.from(rec.salt, 'base64'), want.length, { N: rec.N, r: rec.r, p: rec.p, maxmem: 256 * rec.N * rec.r + 1024 * 1024 });
  return got.length === want.length && timingSafeEqual(got, want) ? 'ok' : 'wrong';
}

export interface Session {
  readonly token: string;
  readonly csrf: string;
  readonly who: string;
  readonly client: string;
  readonly createdMs: number;
  expiresMs: number;
}

const MAX_SESSIONS = 16;
const MAX_SESSION_AGE_MS = 12 * 3_600_000;

/**
 * Technician sessions: an unguessable cookie token, a CSRF token the page sends back in a
 * header, a sliding expiry (`site.http.sessionTtl`) capped at 12 h, at most 16 at once.
 * Failed logins slow each client down: 1 s after the first, doubling to 60 s.
 */
export class Sessions {
  private readonly sessions = new Map<string, Session>();
  private readonly failures = new Map<string, { count: number; untilMs: number }>();

  constructor(
    private readonly now: () => number,
    private readonly ttlMs: number,
  ) {}

  create(who: string, client: string): Session {
    this.expire();
    if (this.sessions.size >= MAX_SESSIONS) {
      const oldest = [...this.sessions.values()].sort((a, b) => a.createdMs - b.createdMs)[0];
      if (oldest) this.sessions.delete(oldest.token);
    }
    const s: Session = { token: randomBytes(32).toString('base64url'), csrf: randomBytes(24).toString('base64url'), who, client, createdMs: this.now(), expiresMs: this.now() + this.ttlMs };
    this.sessions.set(s.token, s);
    this.failures.delete(client);
    return s;
  }

  /** The live session for a cookie token, its expiry moved on; undefined when none. */
  get(token: string | undefined, touch = true): Session | undefined {
    if (!token) return undefined;
    const s = this.sessions.get(token);
    if (!s) return undefined;
    const now = this.now();
    if (now >= s.expiresMs || now - s.createdMs >= MAX_SESSION_AGE_MS) {
      this.sessions.delete(token);
      return undefined;
    }
    if (touch) s.expiresMs = now + this.ttlMs;
    return s;
  }

  end(token: string | undefined): void {
    if (token) this.sessions.delete(token);
  }

  /** ms this client must still wait before its next login attempt (0: go ahead). */
  waitMs(client: string): number {
    const f = this.failures.get(client);
    return f ? Math.max(0, f.untilMs - this.now()) : 0;
  }

  failed(client: string): number {
    if (this.failures.size > 1000) this.failures.clear(); // bounded; a flood of addresses resets the table, not the box
    const f = this.failures.get(client) ?? { count: 0, untilMs: 0 };
    f.count++;
    const delay = Math.min(60_000, 1000 * 2 ** (f.count - 1));
    f.untilMs = this.now() + delay;
    this.failures.set(client, f);
    return delay;
  }

  get size(): number {
    this.expire();
    return this.sessions.size;
  }

  private expire(): void {
    for (const t of [...this.sessions.keys()]) this.get(t, false);
  }
}
