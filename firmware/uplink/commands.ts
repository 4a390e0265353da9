import type { KeyObject } from 'node:crypto';
import type { CommandResult, VerifiedCommand } from '../commands/specs.js';
import type { FaultCode } from '../diagnostics/catalog.js';
import type { Scheduler } from '../loop/scheduler.js';
import { truncate } from '../security/bounded-json.js';
import { signReply } from '../security/envelope.js';
import { type IntakeConfig, type IntakeCounters, CommandIntake, type IntakeDecision } from '../security/intake.js';
import { signBytes } from '../security/keys.js';
import { TokenBucket } from '../security/rate.js';
import { PAYLOAD_VERSION } from './payload.js';

/** Settings of the command gate; plain data (and a KeyObject, which threads may share). */
export interface CommandGateConfig {
  readonly intake: IntakeConfig;
  /** the box's private key: every reply is signed with it */
  readonly signingKey: KeyObject;
  readonly keyId: string;
  /** wall time trusted at start */
  readonly clockTrusted: boolean;
  /** COMMANDS_REFUSED after this many refusals within a minute */
  readonly refusalFault: number;
}

export interface CommandGateDeps {
  readonly scheduler: Scheduler;
  readonly boxId: string;
  readonly boot: number;
  /** publish under <prefix>/<box>/ (QoS 1, not retained) */
  publish(suffix: string, payload: string): void;
  log(level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void;
  fault(op: 'raise' | 'clear', code: FaultCode, message?: string, details?: Record<string, unknown>): void;
  /** a command that passed every check goes to the sampling thread */
  forward(command: VerifiedCommand): void;
}

/** Topic (under <prefix>/<box>/) of the event every executed or refused command produces. */
export const COMMAND_EVENTS_TOPIC = 'commands/events';
const SUBJECT = 'commands';
/** COMMANDS_REFUSED clears after this long without a refusal, ms */
const QUIET_MS = 300_000;

/**
 * The uplink worker's side of commands: every message on cmd/<name> goes through the
 * CommandIntake; a refusal is answered (signed reply with the reason), counted, published as an
 * event on <base>/commands/events and logged, except over the rate limit, where refusals are
 * only counted and summed up once a second (answering each would amplify a flood). Replies to
 * executed commands come back from the sampling thread and are signed here.
 */
export class CommandGate {
  private intake: CommandIntake;
  private clockTrusted: boolean;
  /** refusals per second over the last minute (ring of 60) */
  private readonly window = new Array<number>(60).fill(0);
  private windowSecond = 0;
  private faultActive = false;
  private lastRefusal = 0;
  private rateLimited = 0;
  private unlogged = 0;
  private summaryArmed = false;
  /** refusal log lines: 5 a second, 20 at once; the rest are summed up in one line a second */
  private readonly logBucket: TokenBucket;
  /** answered refusals (reply + event): 20 a second, 40 at once; the rest only counted and summed up */
  private readonly answerBucket: TokenBucket;
  private unanswered = 0;

  constructor(
    private config: CommandGateConfig,
    private readonly deps: CommandGateDeps,
  ) {
    this.clockTrusted = config.clockTrusted;
    this.intake = this.newIntake(config);
    this.logBucket = new TokenBucket(5, 20, deps.scheduler.now());
    this.answerBucket = new TokenBucket(20, 40, deps.scheduler.now());
    deps.scheduler.every('commands-refusals', 10_000, () => this.maybeClear(), { phaseMs: 10_000 });
  }

  get counters(): IntakeCounters {
    return this.intake.counters;
  }

  trustClock(): void {
    this.clockTrusted = true;
    this.intake.trustClock();
  }

  /**
   * A reloaded trust list and limits: from the next message on. The counters carry over; the
   * replay cache is read again from its file, where every accepted nonce already is.
   */
  reconfigure(config: CommandGateConfig): void {
    const counters = this.intake.counters;
    this.config = config;
    this.intake = this.newIntake(config, counters);
    this.deps.log('info', 'command trust list reloaded', { keys: config.intake.trust.map((t) => t.name) });
  }

  private newIntake(config: CommandGateConfig, counters?: IntakeCounters): CommandIntake {
    const d = this.deps;
    return new CommandIntake(config.intake, () => d.scheduler.now(), () => Date.now(), this.clockTrusted, (e) =>
      d.log('error', 'cannot write the command replay cache; nonces are remembered in memory for this run only', { error: e.message }), counters);
  }

  onMessage(name: string, payload: Buffer, retain: boolean): void {
    const d = this.intake.handle(name, payload, retain);
    if (d.ok) {
      this.deps.log('info', 'command accepted', { cmd: d.command.cmd, signer: d.command.signer, re: d.command.nonce });
      this.deps.forward(d.command);
      return;
    }
    this.refused(d);
  }

  /** The sampling thread ran a command: sign and publish the reply, publish the event. */
  reply(command: VerifiedCommand, result: CommandResult): void {
    const body = result.ok ? { ok: true, result: result.result } : { ok: false, reason: result.reason, error: truncate(result.error, 400) };
    this.sendReply(command.cmd, command.nonce, body);
    const outcome = result.ok ? 'executed' : 'failed';
    this.event({ cmd: command.cmd, outcome, signer: command.signer, re: command.nonce, ...(result.ok ? {} : { reason: result.reason, message: truncate(result.error, 200) }) });
    this.deps.log(result.ok ? 'info' : 'warn', `command ${outcome}`, { cmd: command.cmd, signer: command.signer, re: command.nonce, ...(result.ok ? {} : { reason: result.reason }) });
  }

  private refused(d: Extract<IntakeDecision, { ok: false }>): void {
    this.countRefusal();
    if (!d.reply) {
      // over the rate: count, and sum up once a second in one event and one log line
      this.rateLimited++;
      this.armSummary();
      return;
    }
    if (!this.answerBucket.take(this.deps.scheduler.now())) {
      // a flood of refusals is not answered one by one either (with the rate limits lifted)
      this.unanswered++;
      this.armSummary();
      return;
    }
    this.sendReply(d.cmd, d.nonce ?? null, { ok: false, reason: d.reason, error: d.message });
    const who = { ...(d.signer ? { signer: d.signer } : {}), ...(d.nonce ? { re: d.nonce } : {}) };
    this.event({ cmd: d.cmd, outcome: 'refused', reason: d.reason, message: d.message, ...who });
    // the run log stays bounded whatever arrives: each line goes to the sampling thread's logger
    if (this.logBucket.take(this.deps.scheduler.now())) this.deps.log('warn', 'command refused', { cmd: d.cmd, reason: d.reason, detail: d.message, ...who });
    else {
      this.unlogged++;
      this.armSummary();
    }
  }

  private armSummary(): void {
    if (this.summaryArmed) return;
    this.summaryArmed = true;
    this.deps.scheduler.after(1000, () => this.summarise());
  }

  private summarise(): void {
    this.summaryArmed = false;
    const count = this.rateLimited;
    const unlogged = this.unlogged;
    const unanswered = this.unanswered;
    this.rateLimited = 0;
    this.unlogged = 0;
    this.unanswered = 0;
    if (unanswered > 0) {
      this.event({ cmd: '*', outcome: 'refused', reason: 'unanswered', count: unanswered, refused: { ...this.intake.counters.refused } });
      this.deps.log('warn', 'commands refused without an answer (more than 20 refusals a second)', { count: unanswered, refused: { ...this.intake.counters.refused } });
    }
    if (unlogged > 0) this.deps.log('warn', 'more commands refused (each answered and published on commands/events; not logged one by one)', { count: unlogged, refused: { ...this.intake.counters.refused } });
    if (count === 0) return;
    this.event({ cmd: '*', outcome: 'refused', reason: 'rate-limited', count });
    this.deps.log('warn', 'commands refused over the rate limit', { count, refusedSinceStart: this.intake.counters.refused['rate-limited'] ?? 0 });
  }

  private sendReply(cmd: string, re: string | null, body: { ok: boolean; result?: Record<string, unknown>; reason?: string; error?: string }): void {
    const reply = signReply({ v: PAYLOAD_VERSION, box: this.deps.boxId, cmd, re, ...body, t: Date.now() }, this.config.keyId, (data) => signBytes(this.config.signingKey, data));
    this.deps.publish(`cmd/${cmd}/reply`, JSON.stringify(reply));
  }

  private event(e: Record<string, unknown>): void {
    this.deps.publish(COMMAND_EVENTS_TOPIC, JSON.stringify({ v: PAYLOAD_VERSION, box: this.deps.boxId, boot: this.deps.boot, t: Date.now(), ...e }));
  }

  private countRefusal(): void {
    const now = this.deps.scheduler.now();
    this.lastRefusal = now;
    this.advance(now);
    this.window[this.windowSecond % 60] = (this.window[this.windowSecond % 60] ?? 0) + 1;
    const lastMinute = this.window.reduce((a, b) => a + b, 0);
    if (!this.faultActive && lastMinute >= this.config.refusalFault) {
      this.faultActive = true;
      const refused = { ...this.intake.counters.refused };
      this.deps.fault('raise', 'COMMANDS_REFUSED', `${lastMinute} commands refused within a minute (since start: ${Object.entries(refused).map(([r, n]) => `${r} ${n}`).join(', ')})`, { refused });
    }
  }

  /** Move the per-second ring to `now`, zeroing the seconds passed. */
  private advance(now: number): void {
    const second = Math.floor(now / 1000);
    for (let s = Math.max(this.windowSecond + 1, second - 59); s <= second; s++) this.window[s % 60] = 0;
    this.windowSecond = Math.max(this.windowSecond, second);
  }

  private maybeClear(): void {
    if (this.faultActive && this.deps.scheduler.now() - this.lastRefusal >= QUIET_MS) {
      this.faultActive = false;
      this.deps.fault('clear', 'COMMANDS_REFUSED');
    }
  }
}
