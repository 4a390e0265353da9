import { type KeyObject, createHash } from 'node:crypto';
import { z } from 'zod';
import { compareSemver } from '../../firmware/lifecycle/state.js';
import { keyId, signBytes, verifyBytes } from '../../firmware/security/keys.js';

/**
 * The release manifest: the first member of a bundle (`manifest.json`), signed by the release
 * key (`manifest.sig`, the second member). It names every file of the release with its size
 * and SHA-256, so a box checks each byte it unpacks against a signed list before it uses it.
 */
export const TARGETS = ['linux-arm64', 'linux-armv7', 'linux-x64'] as const;
export type Target = (typeof TARGETS)[number];

const fileEntry = z.object({
  path: z.string().min(1).max(1024),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  mode: z.number().int().min(0).max(0o777),
});

const nativeModule = z.object({
  /** package name (better-sqlite3) and the folder it lives in inside the release */
  name: z.string(),
  version: z.string(),
  path: z.string(),
});

export const manifestSchema = z.object({
  v: z.literal(1),
  name: z.literal('edgefw'),
  version: z.string().regex(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, 'a semantic version (1.2.3 or 1.2.3-rc.1)'),
  target: z.enum(TARGETS),
  /** Node versions this release runs on (native modules built for one ABI pin the major) */
  node: z.string().max(100),
  created: z.string(),
  /** native modules shipped built for the target */
  native: z.array(nativeModule).max(100),
  /** native modules with sources only: `npm rebuild` on the box (docs/install.md) */
  buildOnTarget: z.array(nativeModule).max(100),
  files: z.array(fileEntry).min(1).max(100_000),
  /** sum of the file sizes: what the release takes on disk */
  bytes: z.number().int().nonnegative(),
});
export type Manifest = z.infer<typeof manifestSchema>;

export const signatureSchema = z.object({ alg: z.literal('Ed25519'), keyId: z.string().max(64), sig: z.string().max(200) });
export type Signature = z.infer<typeof signatureSchema>;

export const MANIFEST_FILE = 'manifest.json';
export const SIGNATURE_FILE = 'manifest.sig';

/** The target of the machine this runs on (what a box accepts). */
export function hostTarget(arch: string = process.arch): Target | undefined {
  if (arch === 'x64') return 'linux-x64';
  if (arch === 'arm64') return 'linux-arm64';
  if (arch === 'arm') return 'linux-armv7';
  return undefined;
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Release keys are Ed25519 keys in the box key's formats (firmware/security/keys.ts). */
export const releaseKeyId = keyId;

export function signManifest(bytes: Buffer, privateKey: KeyObject, publicKey: KeyObject): Signature {
  return { alg: 'Ed25519', keyId: keyId(publicKey), sig: signBytes(privateKey, bytes) };
}

/** The trusted key that signed these manifest bytes, or undefined. */
export function verifyManifest(bytes: Buffer, s: Signature, trusted: readonly KeyObject[]): KeyObject | undefined {
  return trusted.find((k) => verifyBytes(k, bytes, s.sig));
}

/** Compare two semantic versions (pre-releases sort before their release). */
export const compareVersions = compareSemver;

/**
 * Does `version` satisfy `range`? The ranges a manifest uses: space-separated comparators
 * (`>=20.0.0 <21.0.0`), each `>=`, `>`, `<=`, `<`, `=` or a bare version, and `^20`.
 */
export function satisfies(version: string, range: string): boolean {
  const v = version.replace(/^v/, '');
  return range
    .trim()
    .split(/\s+/)
    .every((c) => {
      const m = /^(>=|<=|>|<|=|\^)?v?(\d+(?:\.\d+){0,2})$/.exec(c);
      if (!m) return false;
      const want = (m[2] ?? '').split('.').concat(['0', '0']).slice(0, 3).join('.');
      const d = compareVersions(v, want);
      switch (m[1]) {
        case '>=':
          return d >= 0;
        case '>':
          return d > 0;
        case '<=':
          return d <= 0;
        case '<':
          return d < 0;
        case '^':
          return d >= 0 && v.split('.')[0] === want.split('.')[0];
        default:
          return d === 0;
      }
    });
}

/** A path from a manifest that stays inside the release directory, or an error naming it. */
export function safeReleasePath(p: string): string {
  if (p.startsWith('/') || p.includes('\\') || p.split('/').some((s) => s === '..' || s === '.' || s === '') || p.includes('\0')) {
    throw new Error(`manifest path "${p.slice(0, 200)}" leaves the release directory or is not normalised`);
  }
  return p;
}
