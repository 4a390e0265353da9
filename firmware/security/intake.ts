import type { KeyObject } from 'node:crypto';
import { type VerifiedCommand, checkArgs, commandSpec } from '../commands/specs.js';
import { type JsonLimits, parseBoundedJson, truncate } from './bounded-json.js';
import { signedBytes } from './canonical.js';
import { keyId, parsePublicKey, verifyBytes } from './keys.js';
import { TokenBucket } from './rate.js';
import { ReplayCache } from './replay.js';
import { BOX_SIGNER } from './signers.js';

/** Why a command was refused: stable codes, in replies, events, counters and docs/security.md. */
export const REFUSAL_REASONS = [
  'rate-limited', 'retained', 'empty', 'oversize', 'read-only', 'malformed', 'unsigned', 'unknown-command', 'topic-mismatch',
  'unknown-key', 'bad-signature', 'wrong-box', 'not-allowed', 'expired', 'not-yet-valid', 'lifetime-too-long', 'bad-args',
  'replayed', 'replay-cache-full',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export interface IntakeConfig {
  readonly boxId: string;
  readonly trust: readonly { readonly name: string; readonly key: string; readonly allow: readonly string[] }[];
  readonly maxBytes: number;
  readonly rate: { readonly perTopic: number; readonly total: number; readonly burst: number };
  readonly skewMs: number;
  readonly maxLifetimeMs: number;
  readonly json: JsonLimits;
  readonly replayCache: number;
  /** where accepted nonces are kept across restarts; absent = memory only */
  readonly replayFile?: string;
}

export type IntakeDecision =
  | { readonly ok: true; readonly command: VerifiedCommand }
  | {
      readonly ok: false;
      readonly reason: RefusalReason;
      /** for the reply and the log; user input in it is truncated */
      readonly message: string;
      /** the topic's command name, truncated */
      readonly cmd: string;
      readonly nonce?: string;
      readonly signer?: string;
      /** false: refused without an answer (over the rate limit: answering would amplify a flood) */
      readonly reply: boolean;
    };

export interface IntakeCounters {
  received: number;
  accepted: number;
  refused: Partial<Record<RefusalReason, number>>;
}

interface Trusted {
  readonly name: string;
  readonly key: KeyObject;
  readonly keyId: string;
  readonly allow: ReadonlySet<string>;
}

export { BOX_SIGNER };

const ENVELOPE_KEYS = new Set(['cmd', 'box', 'args', 'iat', 'exp', 'nonce', 'key', 'sig']);
const NONCE = /^[A-Za-z0-9_-]{16,64}$/;

/**
 * Every message on <prefix>/<box>/cmd/<name> passes here, in the uplink worker, before anything
 * reaches the sampling thread. In this order, cheapest first: rate (per topic, then total),
 * retained, empty, size, JSON bounds then parse, envelope shape, command
 * known and matching its topic, key known, signature, box, permission, time, arguments, nonce.
 * Only a VerifiedCommand (name, parsed arguments, nonce, signer) leaves.
 */
export class CommandIntake {
  readonly counters: IntakeCounters;
  private readonly trusted: Trusted[];
  private readonly total: TokenBucket;
  private readonly perTopic = new Map<string, TokenBucket>();
  private readonly replay: ReplayCache;
  private clockTrusted: boolean;

  constructor(
    private readonly config: IntakeConfig,
    /** monotonic ms (rate limits) */
    private readonly now: () => number,
    /** wall ms (iat/exp) */
    private readonly wall: () => number,
    clockTrusted: boolean,
    onStorageError?: (e: Error) => void,
    /** counters to continue (a reloaded trust list) */
    counters?: IntakeCounters,
  ) {
    this.counters = counters ?? { received: 0, accepted: 0, refused: {} };
    this.trusted = config.trust.map((t) => ({ name: t.name, key: parsePublicKey(t.key), keyId: keyId(t.key), allow: new Set(t.allow) }));
    // a burst on one topic must not use up the total: the total bucket holds twice as many
    this.total = new TokenBucket(config.rate.total, 2 * config.rate.burst, now());
    this.replay = new ReplayCache(config.replayFile, config.replayCache, onStorageError);
    this.clockTrusted = clockTrusted;
  }

  /** Wall time became trustworthy (NTP, GPS): iat/exp are checked against it from now on. */
  trustClock(): void {
    this.clockTrusted = true;
  }

  /** no trust list in the profile: only the box's own key (local tools, `diag` only) is trusted */
  get readOnly(): boolean {
    return this.trusted.every((t) => t.name === BOX_SIGNER);
  }

  handle(topicName: string, payload: Buffer, retain: boolean): IntakeDecision {
    this.counters.received++;
    const cmd = truncate(topicName, 32);
    const refuse = (reason: RefusalReason, message: string, extra: { nonce?: string; signer?: string } = {}): IntakeDecision => {
      this.counters.refused[reason] = (this.counters.refused[reason] ?? 0) + 1;
      return { ok: false, reason, message, cmd, reply: reason !== 'rate-limited', ...extra };
    };
    const now = this.now();
    const spec = commandSpec(topicName);
    const bucketName = spec ? spec.name : '';
    let bucket = this.perTopic.get(bucketName);
    if (!bucket) {
      bucket = new TokenBucket(this.config.rate.perTopic, this.config.rate.burst, now);
      this.perTopic.set(bucketName, bucket); // known names plus one shared bucket: bounded
    }
    // the topic's bucket first: a flood on one topic does not use up what the others may send
    if (!bucket.take(now) || !this.total.take(now)) return refuse('rate-limited', 'more commands than the box accepts per second');
    if (retain) return refuse('retained', 'a retained command would run again at every reconnect; publish commands without the retain flag');
    if (payload.length === 0) return refuse('empty', 'empty payload: a command is a signed envelope');
    if (payload.length > this.config.maxBytes) return refuse('oversize', `payload of ${payload.length} bytes (at most ${this.config.maxBytes})`);

    const parsed = parseBoundedJson(payload.toString('utf8'), this.config.json);
    if (!parsed.ok) return refuse('malformed', truncate(parsed.error, 120));
    const env = parsed.value;
    if (env === null || typeof env !== 'object' || Array.isArray(env)) return refuse('malformed', 'not a JSON object');
    const e = env as Record<string, unknown>;
    const nonce = typeof e.nonce === 'string' && NONCE.test(e.nonce) ? e.nonce : undefined;
    const n = nonce ? { nonce } : {};
    if (e.sig === undefined || e.key === undefined) return refuse('unsigned', 'no signature: sign the envelope with a key of the trust list (edgefw cmd --key)', n);
    const extra = Object.keys(e).find((k) => !ENVELOPE_KEYS.has(k));
    if (extra !== undefined) return refuse('malformed', `unknown envelope key ${JSON.stringify(truncate(extra, 32))}`, n);
    if (typeof e.cmd !== 'string' || typeof e.box !== 'string' || typeof e.args !== 'object' || e.args === null || Array.isArray(e.args)) return refuse('malformed', 'cmd and box must be strings and args an object', n);
    if (!Number.isSafeInteger(e.iat) || !Number.isSafeInteger(e.exp)) return refuse('malformed', 'iat and exp must be integers (Unix ms)', n);
    if (!nonce) return refuse('malformed', 'nonce must be 16–64 characters of A–Z a–z 0–9 _ -', n);
    if (typeof e.key !== 'string' || typeof e.sig !== 'string') return refuse('malformed', 'key and sig must be strings', n);
    if (e.cmd !== topicName) return refuse('topic-mismatch', `envelope for ${JSON.stringify(truncate(e.cmd, 32))} on the topic of ${JSON.stringify(cmd)}`, n);
    if (!spec) return refuse('unknown-command', `no command ${JSON.stringify(cmd)}`, n);

    const candidates = this.trusted.filter((t) => t.keyId === e.key);
    const readOnly = 'this box has no trust list (commands.trust): it accepts no commands from the network (docs/security.md)';
    if (candidates.length === 0 && this.readOnly) return refuse('read-only', readOnly, n);
    if (candidates.length === 0) return refuse('unknown-key', `key ${JSON.stringify(truncate(e.key, 20))} is not in this box's trust list`, n);
    // entries with one key id hold one key (16 hex digits of SHA-256): one verification
    const first = candidates[0] as Trusted;
    if (!verifyBytes(first.key, signedBytes('edgefw-cmd-v1', e), e.sig)) return refuse('bad-signature', `signature does not verify with key ${first.keyId} (${first.name})`, n);
    const signer = candidates.find((t) => t.allow.has(spec.permission));
    const s = { ...n, signer: (signer ?? first).name };
    if (e.box !== this.config.boxId) return refuse('wrong-box', `envelope for box ${JSON.stringify(truncate(e.box, 64))}`, s);
    if (!signer && this.readOnly) return refuse('read-only', readOnly, s);
    if (!signer) return refuse('not-allowed', `key ${first.name} may not send ${spec.name} (allowed: ${[...first.allow].join(', ')})`, s);

    const iat = e.iat as number;
    const exp = e.exp as number;
    if (exp <= iat) return refuse('malformed', 'exp must be after iat', s);
    if (exp - iat > this.config.maxLifetimeMs) return refuse('lifetime-too-long', `valid for ${exp - iat} ms (at most ${this.config.maxLifetimeMs})`, s);
    const skew = this.config.skewMs;
    if (this.clockTrusted) {
      const wall = this.wall();
      this.replay.raiseFloor(wall - skew);
      if (iat > wall + skew) return refuse('not-yet-valid', `iat is ${iat - wall} ms ahead of the box's clock (skew allowed ${skew} ms)`, s);
    }
    if (exp < this.replay.floor) {
      const why = this.clockTrusted ? `${this.wall() - exp} ms ago` : 'before a command this box already accepted (its own clock is not trusted)';
      return refuse('expired', `expired ${why}`, s);
    }
    const args = checkArgs(spec.args, e.args);
    if (!args.success) {
      const issue = args.issues[0];
      return refuse('bad-args', truncate(`${spec.name} args${issue?.path.length ? `.${issue.path.join('.')}` : ''}: ${issue?.message ?? 'invalid'}`, 160), s);
    }
    if (this.replay.has(nonce)) return refuse('replayed', `nonce ${nonce} was already used`, s);
    if (!this.replay.add(nonce, exp)) return refuse('replay-cache-full', 'too many unexpired commands remembered; try again when older ones expire', s);
    // with an untrusted clock the signed iat is the best time the box knows
    if (!this.clockTrusted) this.replay.raiseFloor(iat - skew);
    this.counters.accepted++;
    return { ok: true, command: { cmd: spec.name as VerifiedCommand['cmd'], args: args.data, nonce, signer: signer.name } };
  }
}
