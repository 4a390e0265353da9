import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { TimeSource } from '../../drivers/bus/clock.js';
import { Backoff } from '../device/backoff.js';
import type { ActiveFault, FaultEvent } from '../diagnostics/registry.js';
import type { Scheduler } from '../loop/scheduler.js';
import type { Sample } from '../reading.js';
import { type OutboxCounters } from './outbox.js';
import { type OutboxStatus, PAYLOAD_VERSION, type StatusPayload, encodeTelemetryBodies } from './payload.js';
import type { UplinkConfig, UplinkStats } from './protocol.js';
import { type Batch, type SampleQueue, totalDrops } from './queue.js';
import { type Topics, topicsFor } from './topics.js';
import { displayUrl } from '../../config/url.js';
import type { FaultCode } from '../diagnostics/catalog.js';
import { transportOptions } from './transport.js';
import { TransportWatch } from './transport-watch.js';
import type { IntakeCounters } from '../security/intake.js';

/** how long a commit waits for the broker to acknowledge what the tick before it published, ms */
const COMMIT_GRACE_MS = 50;

export interface SessionEvents {
  stats(s: UplinkStats): void;
  log(level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void;
  /** the broker acknowledged this batch (tests and benchmarks count what the broker holds) */
  acked?(batch: Batch, atMs: number): void;
  /** a message arrived on cmd/<name> (unchecked: the worker's CommandGate judges it) */
  command?(name: string, payload: Buffer, retain: boolean): void;
  /** a transport fault (TLS, login, ACL, session takeover) raised or cleared */
  fault?(op: 'raise' | 'clear', code: FaultCode, message?: string): void;
}

/**
 * One box's MQTT session, inside the uplink worker. mqtt.js is only the transport:
 * - every commitInterval the queue commits what arrived (one transaction), then publishing takes
 *   batches from it: QoS 1, at most `inflightWindow` unacknowledged messages (a callback per
 *   publish in a tight loop makes mqtt.js quadratic). A queue that stages (the durable outbox)
 *   publishes first, from memory (at the tick, or at once for a full message's worth), and commits
 *   when the broker has acknowledged that or after COMMIT_GRACE_MS: it stores only what is still
 *   unacknowledged;
 * - a batch leaves the queue only on PUBACK. Nothing is published while disconnected. A lost
 *   connection ends its client: mqtt.js's in-memory resend store dies with it, every batch in
 *   flight goes back to the queue, and the next connection resumes from the oldest
 *   unacknowledged row, in order;
 * - live first: on every connect what is stored becomes backlog; new readings go out at once,
 *   the backlog drains behind them at `drainRate` readings/s, flagged `hist`;
 * - MQTT 5 first; a broker that refuses the protocol version gets 3.1.1 from then on;
 * - reconnects use capped exponential backoff with jitter, driven by this thread's scheduler;
 * - the retained status topic carries online/offline, boot, sequences and outbox counters, and is
 *   also the last will.
 */
export class UplinkSession {
  private client: MqttClient | undefined;
  private gen = 0;
  private readonly topics: Topics;
  private readonly backoff: Backoff;
  private protocolVersion: 4 | 5;
  private connected = false;
  /** SUBACK for the command topic on the current connection */
  private commandsSubscribed = false;
  private connects = 0;
  private inflightLive = 0;
  private inflightBacklog = 0;
  private received = 0;
  private acked = 0;
  private tokens: number;
  private lastRefill: number;
  private lastError: string | undefined;
  private cancelReconnect: (() => void) | undefined;
  private cancelPump: (() => void) | undefined;
  private stopping = false;
  private retryNow = false;
  /** readings appended since the queue last staged */
  private unstaged = 0;
  /** cancels the commit that waits for the acknowledgements of what the last tick published */
  private commitWait: (() => void) | undefined;
  private commitGraceMs = COMMIT_GRACE_MS;
  private pendingFaultEvents: FaultEvent[] = [];
  private faultSnapshot: readonly ActiveFault[] | undefined;
  private readonly sinceMs = Date.now();
  private readonly retainedExtra = new Map<string, string>();
  private readonly watch: TransportWatch;
  /** the command gate's counters, for stats and the retained status */
  commandCounters: (() => IntakeCounters) | undefined;

  constructor(
    private readonly config: UplinkConfig,
    private readonly queue: SampleQueue,
    private readonly scheduler: Scheduler,
    private readonly events: SessionEvents,
    private readonly counters?: () => OutboxCounters,
  ) {
    this.topics = topicsFor(config.prefix, config.boxId);
    this.backoff = new Backoff(config.reconnectMinMs, config.reconnectMaxMs);
    this.protocolVersion = config.protocolVersion === 4 ? 4 : 5;
    this.tokens = config.maxSamplesPerMessage;
    this.lastRefill = scheduler.now();
    this.watch = new TransportWatch(config.url, (op, code, message) => events.fault?.(op, code, message), () => scheduler.now());
  }

  start(): void {
    this.scheduler.every('transport-watch', 5000, () => this.watch.tick());
    const interval = this.config.outbox?.commitIntervalMs ?? this.config.commitIntervalMs ?? 50;
    this.commitGraceMs = Math.min(COMMIT_GRACE_MS, interval / 2);
    this.scheduler.every('outbox-commit', interval, () => this.tick());
    this.connect();
  }

  submit(samples: readonly Sample[]): void {
    this.received += samples.length;
    this.queue.append(samples);
    if (!this.queue.stage) return;
    // a full message's worth goes out at once, from memory; smaller hand-overs wait for the tick
    this.unstaged += samples.length;
    if (this.unstaged < this.config.maxSamplesPerMessage || !this.connected) return;
    this.unstaged = 0;
    this.queue.stage();
    this.pump();
  }

  /**
   * Every commit interval. With a queue that stages (the durable outbox) and a broker: publish what
   * arrived, from memory, then commit once the broker acknowledged it (or after a short grace):
   * what it has by then never touches the disk, the rest is stored. Otherwise: commit, then publish.
   */
  private tick(): void {
    if (this.commitWait) this.commitNow(); // the last commit is still waiting: do it now
    if (!this.queue.stage || !this.connected) {
      this.queue.commit();
      this.pump();
      return;
    }
    this.unstaged = 0;
    this.queue.stage();
    this.pump();
    if (this.inflightLive === 0) {
      this.commitNow();
      return;
    }
    this.commitWait = this.scheduler.after(this.commitGraceMs, () => this.commitNow());
  }

  private commitNow(): void {
    this.commitWait?.();
    this.commitWait = undefined;
    this.queue.commit();
    this.pump();
  }

  /** Wall time became trustworthy (see SampleQueue.restamp). */
  restamp(offsetMs: number, source: TimeSource): void {
    this.queue.commit();
    this.queue.restamp(offsetMs, source);
    this.events.log('info', 'clock trusted: re-stamping readings taken before', { source, offsetMs: Math.round(offsetMs) });
  }

  faults(active: readonly ActiveFault[], events: readonly FaultEvent[]): void {
    this.faultSnapshot = active;
    this.pendingFaultEvents.push(...events);
    this.publishFaults();
  }

  /** Publish a diagnostics message under <prefix>/<box>/; retained ones are kept and re-sent on every connect. */
  publishExtra(suffix: string, payload: string, retain: boolean): void {
    const topic = `${this.topics.base}/${suffix}`;
    if (retain) this.retainedExtra.set(topic, payload);
    if (this.connected) this.client?.publish(topic, payload, { qos: 1, retain });
  }

  stats(): UplinkStats {
    const d = this.queue.drops();
    return {
      connected: this.connected,
      received: this.received,
      acked: this.acked,
      pending: this.queue.pending(),
      dropped: totalDrops(d),
      drops: d,
      messagesInFlight: this.inflightLive + this.inflightBacklog,
      connects: this.connects,
      lastError: this.lastError,
      protocolVersion: this.protocolVersion,
      ...(this.counters ? { outbox: this.counters() } : {}),
      ...(this.commandCounters ? { commands: this.commandCounters() } : {}),
      ...(this.events.command ? { commandsSubscribed: this.commandsSubscribed } : {}),
    };
  }

  /** Publish the status again (the worker does so when the drop counters move). */
  publishStatus(): void {
    if (!this.connected) return;
    this.client?.publish(this.topics.status, this.status('online'), { qos: 1, retain: true }, (err) => {
      // a broker whose ACL refuses the box its own topics says so here first (MQTT 5 PUBACK 0x87)
      if (err) this.watch.refused(`publishing on ${this.topics.status}`, (err as { code?: number }).code);
    });
  }

  /**
   * Commit the current batch, wait (briefly) for the PUBACKs still due, close the queue (the
   * outbox moves its memory ring to disk or counts what it cannot save), publish the offline
   * status with the final counters, disconnect; resolves within `budgetMs` whatever the broker does.
   */
  async stop(budgetMs: number): Promise<void> {
    this.stopping = true;
    this.cancelReconnect?.();
    this.cancelPump?.();
    this.commitWait?.();
    this.commitWait = undefined;
    this.queue.commit();
    const client = this.client;
    const deadline = this.scheduler.now() + budgetMs;
    const sleep = (ms: number): Promise<void> => new Promise((resolve) => this.scheduler.after(ms, resolve));
    while (this.connected && this.inflightLive + this.inflightBacklog > 0 && this.scheduler.now() < deadline - budgetMs / 2) await sleep(20);
    this.queue.close();
    if (client) {
      const done = new Promise<void>((resolve) => {
        if (!this.connected) {
          client.end(true, {}, () => resolve());
          return;
        }
        client.publish(this.topics.status, this.status('offline', 'shutdown'), { qos: 1, retain: true }, () => {
          client.end(false, {}, () => resolve());
        });
      });
      await Promise.race([done, sleep(Math.max(0, deadline - this.scheduler.now()))]);
      client.end(true);
    }
  }

  private outboxStatus(): OutboxStatus {
    const c = this.counters?.();
    if (!c) return { mode: 'off', pending: this.queue.pending(), dropped: this.queue.drops() };
    return {
      mode: c.mode, pending: this.queue.pending(), dropped: c.dropped, ...(c.fileId ? { file: c.fileId } : {}),
      memory: { pending: c.ringRows, dropped: c.memoryDropped, discarded: c.discarded },
      ...(c.skips.length > 0 ? { skips: c.skips } : {}),
      ...(c.damaged > 0 ? { damaged: c.damaged } : {}),
    };
  }

  private status(state: 'online' | 'offline', reason?: string): string {
    const c = this.config;
    const p: StatusPayload = {
      v: PAYLOAD_VERSION, box: c.boxId, state, boot: c.boot, ...(c.bootId ? { bootId: c.bootId } : {}), fw: c.firmware, ...c.identity, since: Date.now(), ...(reason ? { reason } : {}),
      seq: this.queue.sequences(), outbox: this.outboxStatus(),
      ...(this.commandCounters ? { commands: this.commandCounters() } : {}),
    };
    return JSON.stringify(p);
  }

  private connect(): void {
    const c = this.config;
    const gen = ++this.gen;
    const will: StatusPayload = {
      v: PAYLOAD_VERSION, box: c.boxId, state: 'offline', boot: c.boot, ...(c.bootId ? { bootId: c.bootId } : {}), fw: c.firmware, ...c.identity, since: this.sinceMs, reason: 'connection lost',
      seq: this.queue.sequences(), outbox: this.outboxStatus(),
    };
    const options: IClientOptions = {
      clientId: c.clientId,
      ...transportOptions({ url: c.url, ...(c.username !== undefined ? { username: c.username } : {}), ...(c.secrets ? { secrets: c.secrets } : {}) }),
      protocolVersion: this.protocolVersion,
      keepalive: Math.round(c.keepaliveMs / 1000),
      // a PINGREQ every keepalive whatever else is sent, instead of mqtt.js clearing and setting
      // its keepalive interval on every acknowledgement (measured: ~1.8 ms of the uplink
      // thread's CPU per second at 4 messages/s); a dead link is still found by the missing PINGRESP
      reschedulePings: false,
      clean: true,
      reconnectPeriod: 0, // we reconnect ourselves, with backoff and jitter, on a fresh client
      connectTimeout: 10_000,
      queueQoSZero: false,
      resubscribe: false,
      // mqtt-packet's number cache is 65 536 pre-built buffers (≈ 6 MB per publishing thread) to
      // save an allocation of a few bytes per packet; a box sends a few messages a second
      writeCache: false,
      will: { topic: this.topics.status, payload: Buffer.from(JSON.stringify(will)), qos: 1, retain: true },
      // MQTT 5: the broker drops larger messages before they reach the box (commands are small)
      ...(this.protocolVersion === 5 && c.maxIncomingBytes ? { properties: { maximumPacketSize: c.maxIncomingBytes } } : {}),
    };
    const client = mqtt.connect(c.url, options);
    this.client = client;
    const seen = { hadConnack: false, sawError: false, disconnectSeen: false };
    client.on('connect', () => {
      seen.hadConnack = true;
      if (gen === this.gen) this.onConnect();
    });
    client.on('disconnect', (packet) => {
      if (gen !== this.gen) return;
      seen.disconnectSeen = true;
      this.watch.disconnectPacket(packet.reasonCode);
    });
    client.on('close', () => {
      if (gen !== this.gen) return;
      if (!this.stopping) this.watch.closed(seen);
      this.onClose(client);
    });
    client.on('message', (topic, payload, packet) => {
      const name = topic.slice(this.topics.base.length + 5); // "<base>/cmd/<name>"
      if (gen === this.gen && topic.startsWith(`${this.topics.base}/cmd/`) && !name.includes('/')) this.events.command?.(name, payload, packet.retain);
    });
    client.on('error', (e) => {
      if (gen !== this.gen) return;
      this.lastError = e.message;
      seen.sawError = true;
      const code = (e as { code?: unknown }).code;
      // 0x84 (MQTT 5) or 1 (3.1.1): unsupported protocol version: speak 3.1.1 from now on
      if (this.protocolVersion === 5 && c.protocolVersion !== 5 && (code === 132 || code === 1)) {
        this.protocolVersion = 4;
        this.retryNow = true; // not a failure of the broker: try 3.1.1 at once, without backoff
        this.events.log('info', 'broker does not speak MQTT 5; using 3.1.1');
      } else {
        this.watch.error(e as Error & { code?: unknown }, this.protocolVersion);
        this.events.log('warn', 'broker error', { error: e.message, ...(this.watch.failure ? { fault: this.watch.failure } : {}) });
      }
    });
  }

  private onConnect(): void {
    this.connected = true;
    this.commandsSubscribed = false;
    this.connects++;
    this.backoff.reset();
    this.watch.connected();
    this.events.log('info', 'connected to broker', { url: displayUrl(this.config.url), connects: this.connects, mqtt: this.protocolVersion });
    // what is stored now is backlog; what is committed from now on is live
    this.queue.splitBacklog();
    this.publishStatus();
    this.publishFaults();
    for (const [topic, payload] of this.retainedExtra) this.client?.publish(topic, payload, { qos: 1, retain: true });
    // retain-as-published (MQTT 5): a retained command published while we are subscribed shows
    // its retain flag too, so the gate refuses it at once and not only at the next connect
    if (this.events.command) {
      const gen = this.gen;
      this.client?.subscribe(this.topics.commands, { qos: 1, ...(this.protocolVersion === 5 ? { rap: true } : {}) }, (err, granted) => {
        if (err) this.watch.refused(`the subscription to ${this.topics.commands}`, (err as { code?: number }).code);
        else if (gen === this.gen && this.connected && (granted ?? []).every((g) => g.qos < 128)) {
          this.commandsSubscribed = true;
          this.events.stats(this.stats());
        }
      });
    }
    this.events.stats(this.stats());
    this.pump();
  }

  private onClose(client: MqttClient): void {
    const was = this.connected;
    this.connected = false;
    this.commandsSubscribed = false;
    // a fresh client per connection: this one's resend store and callbacks die with it, and
    // every batch it had in flight is taken again, oldest first, on the next connection
    this.gen++;
    client.end(true);
    this.queue.releaseAll();
    this.inflightLive = 0;
    this.inflightBacklog = 0;
    if (was && !this.stopping) this.events.log('warn', 'broker connection lost', { error: this.lastError });
    this.events.stats(this.stats());
    if (this.stopping || this.cancelReconnect) return;
    const delay = this.retryNow ? 0 : this.backoff.next();
    this.retryNow = false;
    this.cancelReconnect = this.scheduler.after(delay, () => {
      this.cancelReconnect = undefined;
      if (!this.stopping) this.connect();
    });
  }

  private publishFaults(): void {
    const client = this.client;
    if (!client || !this.connected) return;
    if (this.faultSnapshot) {
      const snapshot = { v: PAYLOAD_VERSION, box: this.config.boxId, boot: this.config.boot, t: Date.now(), active: this.faultSnapshot };
      client.publish(this.topics.faults, JSON.stringify(snapshot), { qos: 1, retain: true });
    }
    const events = this.pendingFaultEvents;
    this.pendingFaultEvents = [];
    for (const e of events) {
      client.publish(this.topics.faultEvents, JSON.stringify({ v: PAYLOAD_VERSION, box: this.config.boxId, boot: this.config.boot, ...e }), { qos: 1 });
    }
  }

  /** Backlog budget: `drainRate` readings per second, at most one second's worth saved up. */
  private refill(): void {
    const rate = this.config.drainRate ?? 0;
    const now = this.scheduler.now();
    if (rate > 0) this.tokens = Math.min(Math.max(rate, this.config.maxSamplesPerMessage), this.tokens + ((now - this.lastRefill) * rate) / 1000);
    this.lastRefill = now;
  }

  private pump(): void {
    const client = this.client;
    if (!client || !this.connected || this.stopping) return;
    const window = this.config.inflightWindow;
    const max = this.config.maxSamplesPerMessage;
    const rate = this.config.drainRate ?? 0;
    while (this.inflightLive + this.inflightBacklog < window) {
      let batch = this.queue.take(max, 'live');
      if (!batch) {
        // one slot stays free for live readings
        if (this.inflightBacklog >= Math.max(1, window - 1)) break;
        this.refill();
        // wait for a full message's worth of budget (or a second's worth when the rate is below
        // a message a second): a spent budget must not turn the backlog into one reading per message
        const need = Math.max(1, Math.min(max, rate));
        if (rate > 0 && this.tokens < need) {
          if (!this.cancelPump) {
            this.cancelPump = this.scheduler.after(Math.ceil(((need - this.tokens) * 1000) / rate), () => {
              this.cancelPump = undefined;
              this.pump();
            });
          }
          break;
        }
        batch = this.queue.take(rate > 0 ? Math.min(max, Math.floor(this.tokens)) : max, 'backlog');
        if (!batch) break;
        if (rate > 0) this.tokens -= batch.count;
      }
      this.publish(client, batch);
    }
  }

  private publish(client: MqttClient, batch: Batch): void {
    const gen = this.gen;
    const live = batch.lane === 'live';
    if (live) this.inflightLive++;
    else this.inflightBacklog++;
    const payload = encodeTelemetryBodies(this.config.boxId, batch.boot, batch.bodies, !live, batch.bootId);
    client.publish(this.topics.telemetry, payload, { qos: 1 }, (err) => {
      if (gen !== this.gen) return; // that connection is gone; its batches were released
      if (live) this.inflightLive--;
      else this.inflightBacklog--;
      if (err) {
        // refused (an MQTT 5 PUBACK reason code ≥ 0x80) or the client ended: keep the batch
        this.queue.release(batch.id);
        this.lastError = err.message;
        this.watch.refused(`publishing on ${this.topics.telemetry}`, (err as { code?: number }).code);
        this.events.log('warn', 'publish failed', { error: err.message });
        if (!this.cancelPump) {
          this.cancelPump = this.scheduler.after(1000, () => {
            this.cancelPump = undefined;
            this.pump();
          });
        }
        return;
      }
      this.queue.ack(batch.id);
      this.watch.accepted();
      this.acked += batch.count;
      this.events.acked?.(batch, Date.now());
      // the commit waited for this: the broker has every live message the tick published
      if (this.commitWait && this.inflightLive === 0) this.commitNow();
      else this.pump();
    });
  }
}
