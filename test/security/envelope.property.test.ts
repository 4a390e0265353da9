import { rmSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_JSON_LIMITS } from '../../firmware/security/bounded-json.js';
import { signReply, verifyReply } from '../../firmware/security/envelope.js';
import { CommandIntake } from '../../firmware/security/intake.js';
import { identityOf } from '../../firmware/security/identity.js';
import { generateKeyPair, parsePublicKey } from '../../firmware/security/keys.js';
import { testKey } from '../helpers/commands.js';
import { tempDir } from '../helpers/scratch.js';

const dir = tempDir('prop');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const tech = testKey(dir, 'tech');
const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
const SEED = Number(process.env.EDGEFW_PROP_SEED ?? 20261128);
const RUNS = Number(process.env.EDGEFW_PROP_RUNS ?? 300);

function freshIntake(): CommandIntake {
  return new CommandIntake(
    {
      boxId: 'k1', trust: [{ name: 'tech', key: tech.pub, allow: ['diag', 'ack', 'output', 'reprobe', 'restart'] }],
      maxBytes: 16_384, rate: { perTopic: 1e6, total: 1e6, burst: 1000 }, skewMs: 30_000, maxLifetimeMs: 300_000, json: DEFAULT_JSON_LIMITS, replayCache: 1000,
    },
    () => 0, () => T0, true,
  );
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
/** A change to one member of an envelope: another value of any JSON type, a flipped signature bit, removal, or a new member. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), member: fc.constantFrom('cmd', 'box', 'args', 'iat', 'exp', 'nonce', 'key', 'sig'), value: fc.jsonValue({ maxDepth: 2 }) }),
  fc.record({ kind: fc.constant('tweak' as const), member: fc.constantFrom('box', 'nonce', 'key', 'iat', 'exp', 'sig'), at: fc.nat(), delta: fc.integer({ min: 1, max: 30 }) }),
  fc.record({ kind: fc.constant('remove' as const), member: fc.constantFrom('cmd', 'box', 'args', 'iat', 'exp', 'nonce', 'key', 'sig') }),
  fc.record({ kind: fc.constant('add' as const), member: fc.string({ minLength: 1, maxLength: 8 }), value: fc.jsonValue({ maxDepth: 1 }) }),
  fc.record({ kind: fc.constant('arg' as const), value: fc.jsonValue({ maxDepth: 1 }) }),
);

function tweak(v: unknown, at: number, delta: number): unknown {
  if (typeof v === 'number') return v + delta;
  const s = String(v);
  const i = at % s.length;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const c = alphabet[(alphabet.indexOf(s[i] ?? 'A') + delta) % alphabet.length] ?? 'A';
  return s.slice(0, i) + c + s.slice(i + 1);
}

describe('envelope verifier (property, seed logged)', () => {
  it(`refuses every mutation of a signed envelope (seed ${SEED}, ${RUNS} runs)`, () => {
    console.log(`envelope property: seed ${SEED}, runs ${RUNS} (EDGEFW_PROP_SEED / EDGEFW_PROP_RUNS)`);
    fc.assert(
      fc.property(mutation, fc.constantFrom('diag', 'reprobe'), (m, cmd) => {
        const env: Record<string, unknown> = { ...tech.sign({ cmd, box: 'k1', iat: T0, args: cmd === 'reprobe' ? { device: 'env' } : {} }) };
        const original = JSON.stringify(env);
        if (m.kind === 'replace') env[m.member] = m.value as Json;
        else if (m.kind === 'tweak') env[m.member] = tweak(env[m.member], m.at, m.delta);
        else if (m.kind === 'remove') delete env[m.member];
        else if (m.kind === 'add') env[m.member] = m.value;
        else env.args = { ...(env.args as object), extra: m.value };
        const mutated = JSON.stringify(env);
        fc.pre(mutated !== original); // a "mutation" that changed nothing (same value) proves nothing
        const d = freshIntake().handle(cmd, Buffer.from(mutated), false);
        expect(d.ok, `accepted a mutated envelope: ${mutated}`).toBe(false);
        // and the unmutated envelope is accepted: the property is not vacuous
        expect(freshIntake().handle(cmd, Buffer.from(original), false).ok).toBe(true);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('refuses every mutation of a signed reply', () => {
    const box = identityOf(generateKeyPair(), 'mem');
    const pub = parsePublicKey(box.publicKey);
    fc.assert(
      fc.property(fc.constantFrom('box', 'cmd', 're', 'ok', 'result', 't', 'key', 'sig', 'v'), fc.jsonValue({ maxDepth: 2 }), (member, value) => {
        const reply = signReply({ v: 1, box: 'k1', cmd: 'diag', re: 'abcdefghijklmnopqrstuv', ok: true, result: { verdict: 'PASS' }, t: T0 }, box.keyId, box.sign);
        expect(verifyReply(reply, pub)).toBe(true);
        const mutated = { ...reply, [member]: value };
        fc.pre(JSON.stringify(mutated) !== JSON.stringify(reply));
        expect(verifyReply(mutated, pub)).toBe(false);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
