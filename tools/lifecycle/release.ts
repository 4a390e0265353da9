import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeSync, chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createHash, type KeyObject } from 'node:crypto';
import { MANIFEST_FILE, type Manifest, SIGNATURE_FILE, type Target, compareVersions, manifestSchema, safeReleasePath, satisfies, sha256, signatureSchema, verifyManifest } from './manifest.js';
import { BundleFormatError, type EntrySink, walkTarGz } from './tar.js';

/** Why a bundle was refused: a stable word for the status topic, and a sentence. */
export type RefusalReason = 'format' | 'signature' | 'target' | 'node' | 'downgrade' | 'digest' | 'size' | 'download' | 'native';

export class BundleRefused extends Error {
  constructor(
    readonly reason: RefusalReason,
    message: string,
  ) {
    super(message);
    this.name = 'BundleRefused';
  }
}

export interface CheckOptions {
  /** release public keys the box trusts */
  readonly trusted: readonly KeyObject[];
  /** the box's own target (hostTarget()) */
  readonly target: Target;
  /** the Node version that will run the release (process.versions.node) */
  readonly node: string;
  /** lowest version the box accepts (its floor: the last committed version) */
  readonly floor?: string;
  /** largest unpacked release, bytes */
  readonly maxBytes: number;
}

const MAX_MANIFEST = 16 << 20;

/** Read and check the signed head of a bundle; nothing is written anywhere. */
export async function checkBundle(file: string, o: CheckOptions): Promise<Manifest> {
  const parts: Record<string, Buffer[]> = {};
  let index = 0;
  try {
    await walkTarGz(
      file,
      (e, stop) => {
        const want = index === 0 ? MANIFEST_FILE : SIGNATURE_FILE;
        index++;
        if (e.name !== want || e.type !== 'file') throw new BundleFormatError(`member ${index} is "${e.name}", expected ${want}: not an edgefw bundle`);
        if (e.size > MAX_MANIFEST) throw new BundleFormatError(`${e.name} is ${e.size} bytes (limit ${MAX_MANIFEST})`);
        const chunks: Buffer[] = (parts[e.name] = []);
        if (index === 2) stop();
        return { write: (c) => chunks.push(Buffer.from(c)), end: () => undefined };
      },
      MAX_MANIFEST * 2,
    );
  } catch (e) {
    if (e instanceof BundleFormatError) throw new BundleRefused('format', e.message);
    throw e;
  }
  const manifestBytes = Buffer.concat(parts[MANIFEST_FILE] ?? []);
  const sigBytes = Buffer.concat(parts[SIGNATURE_FILE] ?? []);
  if (index < 2) throw new BundleRefused('format', 'bundle has no manifest and signature at its head');
  let sig;
  try {
    sig = signatureSchema.parse(JSON.parse(sigBytes.toString('utf8')));
  } catch (e) {
    throw new BundleRefused('signature', `${SIGNATURE_FILE} is not a signature record (${(e as Error).message.slice(0, 200)})`);
  }
  if (o.trusted.length === 0) throw new BundleRefused('signature', 'the box trusts no release key (provision --release-key)');
  if (!verifyManifest(manifestBytes, sig, o.trusted)) throw new BundleRefused('signature', `signature by key ${sig.keyId} does not verify with any trusted release key: refused`);
  let m: Manifest;
  try {
    m = manifestSchema.parse(JSON.parse(manifestBytes.toString('utf8')));
    for (const f of m.files) safeReleasePath(f.path);
  } catch (e) {
    throw new BundleRefused('format', `signed manifest is not valid: ${(e as Error).message.slice(0, 300)}`);
  }
  if (m.target !== o.target) throw new BundleRefused('target', `bundle is for ${m.target}; this box is ${o.target}`);
  if (!satisfies(o.node, m.node)) throw new BundleRefused('node', `bundle needs Node ${m.node}; this box runs ${o.node}`);
  if (o.floor && compareVersions(m.version, o.floor) < 0) throw new BundleRefused('downgrade', `version ${m.version} is below this box's floor ${o.floor} (no downgrades)`);
  if (m.bytes > o.maxBytes) throw new BundleRefused('size', `release unpacks to ${m.bytes} bytes; limit ${o.maxBytes}`);
  return m;
}

/**
 * Unpack a checked bundle into `dir` (which must be new): every member must be a file of the
 * signed manifest, once, with its size and SHA-256; each is fsync'd so a power cut after the
 * caller's rename never finds a half-written release.
 */
export async function unpackBundle(file: string, m: Manifest, dir: string): Promise<void> {
  const expected = new Map(m.files.map((f) => [f.path, f]));
  const seen = new Set<string>();
  mkdirSync(dir, { recursive: true });
  const made = new Set<string>();
  const mkdir = (d: string): void => {
    if (made.has(d)) return;
    mkdirSync(d, { recursive: true });
    made.add(d);
  };
  try {
    await walkTarGz(
      file,
      (e): EntrySink | undefined => {
        if (e.type === 'dir') return undefined;
        const name = e.name;
        const isHead = name === MANIFEST_FILE || name === SIGNATURE_FILE;
        const want = expected.get(name);
        if (!want && !isHead) throw new BundleRefused('digest', `${name}: not in the signed manifest`);
        if (seen.has(name)) throw new BundleRefused('digest', `${name}: appears twice`);
        seen.add(name);
        if (want && want.size !== e.size) throw new BundleRefused('digest', `${name}: ${e.size} bytes, the manifest says ${want.size}`);
        const target = join(dir, safeReleasePath(name));
        mkdir(dirname(target));
        const fd = openSync(target, 'wx', 0o600);
        const hash = createHash('sha256');
        return {
          write: (c) => {
            hash.update(c);
            writeSync(fd, c);
          },
          end: () => {
            closeSync(fd);
            chmodSync(target, want?.mode ?? 0o644);
            const got = hash.digest('hex');
            if (want && got !== want.sha256) throw new BundleRefused('digest', `${name}: SHA-256 ${got.slice(0, 16)}… does not match the manifest`);
          },
        };
      },
      m.bytes + MAX_MANIFEST * 2 + m.files.length * 1536 + (1 << 20),
    );
  } catch (e) {
    if (e instanceof BundleFormatError) throw new BundleRefused('format', e.message);
    throw e;
  }
  const missing = m.files.filter((f) => !seen.has(f.path));
  if (missing.length > 0) throw new BundleRefused('digest', `${missing.length} file(s) of the manifest missing from the bundle (first: ${missing[0]?.path})`);
  syncTree(dir);
}

/**
 * Make a freshly written tree durable before anything points at it: one syncfs(2) of its
 * filesystem (`sync -f`, coreutils) rather than an fsync per file — thousands of fsyncs take
 * seconds on an SD card. Falls back to a global sync.
 */
export function syncTree(dir: string): void {
  const r = spawnSync('sync', ['-f', dir], { stdio: 'ignore' });
  if (r.status !== 0) spawnSync('sync', [], { stdio: 'ignore' });
}

/**
 * Check an installed release against its signed manifest: the signature (by a trusted key),
 * then every file's size and SHA-256. What an SD card or a hand edit changed, in words (empty:
 * intact). Native builds made on the box are not in the manifest and are not looked at.
 */
export function verifyInstalled(dir: string, trusted: readonly KeyObject[]): string[] {
  let m: Manifest;
  try {
    const bytes = readFileSync(join(dir, MANIFEST_FILE));
    const sig = signatureSchema.parse(JSON.parse(readFileSync(join(dir, SIGNATURE_FILE), 'utf8')));
    if (trusted.length > 0 && !verifyManifest(bytes, sig, trusted)) return [`${MANIFEST_FILE} is not signed by a trusted release key`];
    m = manifestSchema.parse(JSON.parse(bytes.toString('utf8')));
  } catch (e) {
    return [`manifest unreadable: ${(e as Error).message.slice(0, 200)}`];
  }
  const bad: string[] = [];
  for (const f of m.files) {
    const p = join(dir, safeReleasePath(f.path));
    if (!existsSync(p)) bad.push(`${f.path} missing`);
    else if (statSync(p).size !== f.size || sha256(readFileSync(p)) !== f.sha256) bad.push(`${f.path} changed`);
  }
  return bad;
}
