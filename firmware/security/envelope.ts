import { type KeyObject, randomBytes } from 'node:crypto';
import { signedBytes } from './canonical.js';
import { keyId, publicKeyText, signBytes, verifyBytes } from './keys.js';

/**
 * A signed command as it travels on <prefix>/<box>/cmd/<cmd> (docs/security.md, "Command
 * envelope"). `sig` is Ed25519 over `edgefw-cmd-v1\n` + the RFC 8785 canonical JSON of every
 * other member.
 */
export interface CommandEnvelope {
  readonly cmd: string;
  readonly box: string;
  readonly args: Record<string, unknown>;
  /** issued at, Unix ms */
  readonly iat: number;
  /** expires at, Unix ms */
  readonly exp: number;
  /** 16–64 characters of [A-Za-z0-9_-], never used twice */
  readonly nonce: string;
  /** key id of the signing key */
  readonly key: string;
  readonly sig: string;
}

/**
 * A reply on <prefix>/<box>/cmd/<cmd>/reply, signed by the box key: `sig` is Ed25519 over
 * `edgefw-reply-v1\n` + the canonical JSON of every other member.
 */
export interface CommandReply {
  readonly v: 1;
  readonly box: string;
  readonly cmd: string;
  /** the command's nonce; null when the refused message had none readable */
  readonly re: string | null;
  readonly ok: boolean;
  readonly result?: Record<string, unknown>;
  /** refusal or failure code (docs/security.md) */
  readonly reason?: string;
  readonly error?: string;
  /** wall ms of the reply */
  readonly t: number;
  /** the box key's id */
  readonly key: string;
  readonly sig: string;
}

export function newNonce(): string {
  return randomBytes(16).toString('base64url');
}

export interface SignCommandInput {
  readonly cmd: string;
  readonly box: string;
  readonly args?: Record<string, unknown>;
  /** default now */
  readonly iat?: number;
  /** ms from iat; default 60 s */
  readonly lifetimeMs?: number;
  readonly nonce?: string;
}

export function signCommand(input: SignCommandInput, privateKey: KeyObject, publicKey: KeyObject): CommandEnvelope {
  const iat = input.iat ?? Date.now();
  const unsigned = {
    cmd: input.cmd, box: input.box, args: input.args ?? {}, iat, exp: iat + (input.lifetimeMs ?? 60_000),
    nonce: input.nonce ?? newNonce(), key: keyId(publicKeyText(publicKey)),
  };
  return { ...unsigned, sig: signBytes(privateKey, signedBytes('edgefw-cmd-v1', unsigned)) };
}

export type UnsignedReply = Omit<CommandReply, 'sig' | 'key'>;

/** Sign a reply with the box key (`sign` from BoxIdentity). */
export function signReply(reply: UnsignedReply, boxKeyId: string, sign: (data: Uint8Array) => string): CommandReply {
  const withKey = { ...reply, key: boxKeyId };
  return { ...withKey, sig: sign(signedBytes('edgefw-reply-v1', withKey)) };
}

/** True when `reply` is signed by `boxKey`; anything else (a forged reply with the same `re`) is false. */
export function verifyReply(reply: unknown, boxKey: KeyObject): reply is CommandReply {
  if (reply === null || typeof reply !== 'object' || Array.isArray(reply)) return false;
  const r = reply as Record<string, unknown>;
  if (typeof r.sig !== 'string' || r.key !== keyId(publicKeyText(boxKey))) return false;
  try {
    return verifyBytes(boxKey, signedBytes('edgefw-reply-v1', r), r.sig);
  } catch {
    return false; // a value canonical JSON cannot hold
  }
}
