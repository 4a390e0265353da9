import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_JSON_LIMITS } from '../../firmware/security/bounded-json.js';
import { signedBytes } from '../../firmware/security/canonical.js';
import { type IntakeConfig, CommandIntake, type IntakeDecision, REFUSAL_REASONS } from '../../firmware/security/intake.js';
import { signBytes } from '../../firmware/security/keys.js';
import { type TestKey, testKey } from '../helpers/commands.js';
import { tempDir } from '../helpers/scratch.js';

const dir = tempDir('intake');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const platform = testKey(dir, 'platform');
const tech = testKey(dir, 'tech');
const stranger = testKey(dir, 'stranger');
const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);

function config(over: Partial<IntakeConfig> = {}): IntakeConfig {
  return {
    boxId: 'k1',
    trust: [
      { name: 'platform', key: platform.pub, allow: ['diag', 'ack'] },
      { name: 'tech', key: tech.pub, allow: ['diag', 'ack', 'output', 'reprobe', 'restart'] },
    ],
    maxBytes: 16_384, rate: { perTopic: 1000, total: 1000, burst: 1000 }, skewMs: 30_000, maxLifetimeMs: 300_000,
    json: DEFAULT_JSON_LIMITS, replayCache: 100, ...over,
  };
}

/** An intake on a clock the test moves: mono for the rate limits, wall for iat/exp. */
function intake(over: Partial<IntakeConfig> = {}, trusted = true): { i: CommandIntake; clock: { mono: number; wall: number } } {
  const clock = { mono: 0, wall: T0 };
  return { i: new CommandIntake(config(over), () => clock.mono, () => clock.wall, trusted), clock };
}

const send = (i: CommandIntake, payload: unknown, topic = 'diag', retain = false): IntakeDecision =>
  i.handle(topic, Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)), retain);
const env = (k: TestKey, over: Record<string, unknown> = {}, iat = T0): Record<string, unknown> => ({ ...k.sign({ cmd: 'diag', box: 'k1', iat }), ...over });
const reason = (d: IntakeDecision): string => (d.ok ? 'accepted' : d.reason);

describe('command intake: every refusal with its reason and counter', () => {
  it('accepts a signed, fresh, allowed envelope once and hands on only the verified command', () => {
    const { i } = intake();
    const e = tech.sign({ cmd: 'output', box: 'k1', iat: T0, args: { device: 'relay', value: 'on', hold: 5000 } });
    const d = send(i, e, 'output');
    expect(d).toEqual({ ok: true, command: { cmd: 'output', args: { device: 'relay', value: 'on', hold: 5000 }, nonce: e.nonce, signer: 'tech' } });
    expect(reason(send(i, e, 'output'))).toBe('replayed');
    expect(i.counters).toEqual({ received: 2, accepted: 1, refused: { replayed: 1 } });
  });

  it('refuses each hostile input with its own reason, counted exactly', () => {
    const { i, clock } = intake();
    const cases: [string, () => IntakeDecision][] = [
      ['retained', () => send(i, env(tech), 'diag', true)],
      ['empty', () => i.handle('diag', Buffer.alloc(0), false)],
      ['oversize', () => send(i, { ...env(tech), pad: 'x'.repeat(17_000) })],
      ['malformed', () => send(i, '['.repeat(5000))],
      ['malformed', () => send(i, '{"cmd": "diag", "box": "k1"')],
      ['malformed', () => send(i, { ...env(tech), extra: 1 })],
      ['unsigned', () => send(i, { cmd: 'diag', box: 'k1', args: {}, iat: T0, exp: T0 + 60_000, nonce: 'n'.repeat(16) })],
      ['unknown-command', () => send(i, tech.sign({ cmd: 'format-disk', box: 'k1', iat: T0 }), 'format-disk')],
      ['topic-mismatch', () => send(i, tech.sign({ cmd: 'restart', box: 'k1', iat: T0 }), 'diag')],
      ['unknown-key', () => send(i, env(stranger))],
      ['bad-signature', () => send(i, { ...env(tech), args: { x: 1 } })],
      ['bad-signature', () => send(i, { ...env(tech), sig: env(platform).sig, key: env(tech).key })],
      ['wrong-box', () => send(i, tech.sign({ cmd: 'diag', box: 'k2', iat: T0 }))],
      ['not-allowed', () => send(i, platform.sign({ cmd: 'restart', box: 'k1', iat: T0 }), 'restart')],
      ['expired', () => send(i, env(tech, {}, T0 - 120_000))],
      ['not-yet-valid', () => send(i, env(tech, {}, T0 + 120_000))],
      ['lifetime-too-long', () => send(i, tech.sign({ cmd: 'diag', box: 'k1', iat: T0, lifetimeMs: 3_600_000 }))],
      ['bad-args', () => send(i, tech.sign({ cmd: 'output', box: 'k1', iat: T0, args: { device: 'relay', value: 7 } }), 'output')],
      ['bad-args', () => send(i, tech.sign({ cmd: 'diag', box: 'k1', iat: T0, args: { verbose: true } }))],
    ];
    for (const [want, run] of cases) {
      clock.mono += 1;
      const d = run();
      expect(reason(d), want).toBe(want);
      if (!d.ok) {
        expect(d.reply).toBe(true);
        expect(d.message.length).toBeLessThan(300);
      }
    }
    const counts: Record<string, number> = {};
    for (const [want] of cases) counts[want] = (counts[want] ?? 0) + 1;
    expect(i.counters.refused).toEqual(counts);
    expect(i.counters).toMatchObject({ received: cases.length, accepted: 0 });
  });

  it('rate-limits per topic and in total, silently (no reply), then lets the next message through when tokens return', () => {
    const { i, clock } = intake({ rate: { perTopic: 1, total: 1000, burst: 2 } });
    const d = (): string => reason(send(i, env(tech)));
    expect([d(), d(), d()]).toEqual(['accepted', 'accepted', 'rate-limited']);
    const limited = send(i, env(tech));
    expect(limited.ok ? undefined : limited.reply).toBe(false);
    // another topic has its own bucket
    expect(reason(send(i, tech.sign({ cmd: 'ack', box: 'k1', iat: T0 }), 'ack'))).toBe('accepted');
    clock.mono += 1000;
    expect(d()).toBe('accepted');
    expect(i.counters.refused).toEqual({ 'rate-limited': 2 });

    // the total bucket is shared by every topic
    const t = intake({ rate: { perTopic: 1000, total: 1, burst: 1 } }).i;
    const topics = ['diag', 'ack', 'reprobe'].map((cmd) => reason(send(t, tech.sign({ cmd, box: 'k1', iat: T0, args: cmd === 'reprobe' ? { device: 'env' } : {} }), cmd)));
    expect(topics).toEqual(['accepted', 'accepted', 'rate-limited']);
  });

  it('puts every unknown topic name in one shared bucket (a flood of names cannot grow memory)', () => {
    const { i } = intake({ rate: { perTopic: 1, total: 1000, burst: 3 } });
    const reasons = Array.from({ length: 6 }, (_, n) => reason(send(i, env(tech), `x${n}`)));
    expect(reasons).toEqual(['topic-mismatch', 'topic-mismatch', 'topic-mismatch', 'rate-limited', 'rate-limited', 'rate-limited']);
  });

  it('without a trust list refuses every command as read-only; the box key may still ask for diag', () => {
    const { i } = intake({ trust: [{ name: 'box', key: platform.pub, allow: ['diag'] }] });
    expect(reason(send(i, env(tech)))).toBe('read-only');
    expect(reason(send(i, platform.sign({ cmd: 'ack', box: 'k1', iat: T0 }), 'ack'))).toBe('read-only');
    expect(reason(send(i, env(platform)))).toBe('accepted');
  });

  it('with an untrusted clock accepts by nonce and refuses envelopes that expired before a command it already accepted', () => {
    const { i, clock } = intake({}, false);
    clock.wall = 0; // a box that booted in 1970
    expect(reason(send(i, env(tech, {}, T0)))).toBe('accepted');
    // far in the future by the box's clock, but the box cannot know: accepted
    expect(reason(send(i, env(tech, {}, T0 + 3_600_000)))).toBe('accepted');
    // older than what it accepted (minus skew): refused as expired
    expect(reason(send(i, env(tech, {}, T0 + 3_600_000 - 120_000)))).toBe('expired');
    i.trustClock();
    clock.wall = T0 + 3_600_000;
    expect(reason(send(i, env(tech, {}, T0 + 3_600_000 + 10_000)))).toBe('accepted');
    expect(reason(send(i, env(tech, {}, T0 + 3_600_000 + 60_000)))).toBe('not-yet-valid');
  });

  it('remembers nonces across restarts in its file and forgets them only once they could not pass anyway', () => {
    const file = join(dir, 'nonces-restart');
    const clock = { mono: 0, wall: T0 };
    const first = new CommandIntake({ ...config(), replayFile: file }, () => clock.mono, () => clock.wall, true);
    const e = env(tech);
    expect(reason(send(first, e))).toBe('accepted');
    expect(readFileSync(file, 'utf8')).toContain(`N ${String(e.nonce)} ${String(e.exp)}`);
    const second = new CommandIntake({ ...config(), replayFile: file }, () => clock.mono, () => clock.wall, false);
    expect(reason(send(second, e))).toBe('replayed');
    clock.wall = T0 + 120_000;
    const third = new CommandIntake({ ...config(), replayFile: file }, () => clock.mono, () => clock.wall, true);
    expect(reason(send(third, e))).toBe('expired');
  });

  it('stays bounded: a full replay cache refuses new commands rather than forgetting a live nonce', () => {
    const { i } = intake({ replayCache: 100 });
    for (let n = 0; n < 100; n++) expect(reason(send(i, env(tech)))).toBe('accepted');
    expect(reason(send(i, env(tech)))).toBe('replay-cache-full');
  });

  it('names every reason in REFUSAL_REASONS (the documented list)', () => {
    const doc = readFileSync('docs/security.md', 'utf8');
    for (const r of REFUSAL_REASONS) expect(doc, r).toContain(`\`${r}\``);
  });

  it('gives the canonical bytes docs/security.md shows for its example envelope', () => {
    const example = { cmd: 'output', box: 'kiosk-17', args: { device: 'relay', value: 'on', hold: 30000 }, iat: 1764331200000, exp: 1764331260000, nonce: 'pQ3v1n9b5o0s2YtYqZ8yGg', key: '9f86d081884c7d65' };
    const doc = readFileSync('docs/security.md', 'utf8');
    expect(doc).toContain(signedBytes('edgefw-cmd-v1', example).toString('utf8'));
  });

  it('signs over the canonical bytes: member order and whitespace on the wire do not matter', () => {
    const { i } = intake();
    const e = env(tech);
    const reordered = `{ "sig": ${JSON.stringify(e.sig)}, "nonce": ${JSON.stringify(e.nonce)}, "key": ${JSON.stringify(e.key)},\n "exp": ${String(e.exp)}, "iat": ${String(e.iat)}, "args": {}, "box": "k1", "cmd": "diag" }`;
    expect(reason(send(i, reordered))).toBe('accepted');
    const manual = { cmd: 'diag', box: 'k1', args: {}, iat: T0, exp: T0 + 1000, nonce: 'abcdefghijklmnop', key: e.key };
    const sig = signBytes(tech.pair.privateKey, signedBytes('edgefw-cmd-v1', manual));
    expect(signedBytes('edgefw-cmd-v1', manual).toString()).toBe(`edgefw-cmd-v1\n{"args":{},"box":"k1","cmd":"diag","exp":${T0 + 1000},"iat":${T0},"key":"${String(e.key)}","nonce":"abcdefghijklmnop"}`);
    expect(reason(send(i, { ...manual, sig }))).toBe('accepted');
  });
});
