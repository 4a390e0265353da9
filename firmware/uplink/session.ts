import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { Backoff } from '../device/backoff.js';
import type { ActiveFault, FaultEvent } from '../diagnostics/registry.js';
import type { Scheduler } from '../loop/scheduler.js';
import type { Sample } from '../reading.js';
import { PAYLOAD_VERSION, type StatusPayload, encodeTelemetry } from './payload.js';
import type { UplinkConfig, UplinkStats } from './protocol.js';
import type { SampleQueue } from './queue.js';
import { type Topics, topicsFor } from './topics.js';

export interface SessionEvents {
  stats(s: UplinkStats): void;
  log(level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void;
}

/**
 * One box's MQTT session, inside the uplink worker. mqtt.js is only the transport:
 * - publishing takes batches from the queue, QoS 1, at most `inflightWindow` unacknowledged
 *   messages (a callback per publish in a tight loop makes mqtt.js quadratic);
 * - nothing is published while disconnected (queueQoSZero off); a batch leaves the queue only
 *   on PUBACK; mqtt.js resends unacknowledged messages after a reconnect;
 * - reconnects use capped exponential backoff with jitter, driven by this thread's scheduler;
 * - the retained status topic carries online/offline and is also the last will.
 */
export class UplinkSession {
  private client: MqttClient | undefined;
  private readonly topics: Topics;
  private readonly backoff: Backoff;
  private connected = false;
  private connects = 0;
  private inflight = 0;
  private received = 0;
  private acked = 0;
  private lastError: string | undefined;
  private cancelReconnect: (() => void) | undefined;
  private stopping = false;
  private pendingFaultEvents: FaultEvent[] = [];
  private faultSnapshot: readonly ActiveFault[] | undefined;
  private readonly sinceMs = Date.now();

  constructor(
    private readonly config: UplinkConfig,
    private readonly queue: SampleQueue,
    private readonly scheduler: Scheduler,
    private readonly events: SessionEvents,
  ) {
    this.topics = topicsFor(config.prefix, config.boxId);
    this.backoff = new Backoff(config.reconnectMinMs, config.reconnectMaxMs);
  }

  start(): void {
    const c = this.config;
    const will: StatusPayload = { v: PAYLOAD_VERSION, box: c.boxId, state: 'offline', boot: c.boot, fw: c.firmware, since: this.sinceMs, reason: 'connection lost' };
    const options: IClientOptions = {
      clientId: c.clientId,
      username: c.username,
      password: c.password,
      keepalive: Math.round(c.keepaliveMs / 1000),
      clean: true,
      reconnectPeriod: 0, // we reconnect ourselves, with backoff and jitter
      connectTimeout: 10_000,
      queueQoSZero: false,
      resubscribe: true,
      will: { topic: this.topics.status, payload: Buffer.from(JSON.stringify(will)), qos: 1, retain: true },
    };
    const client = mqtt.connect(c.url, options);
    this.client = client;
    client.on('connect', () => this.onConnect());
    client.on('close', () => this.onClose());
    client.on('error', (e) => {
      this.lastError = e.message;
      this.events.log('warn', 'broker error', { error: e.message });
    });
  }

  submit(samples: readonly Sample[]): void {
    this.received += samples.length;
    this.queue.append(samples);
    this.pump();
  }

  faults(active: readonly ActiveFault[], events: readonly FaultEvent[]): void {
    this.faultSnapshot = active;
    this.pendingFaultEvents.push(...events);
    this.publishFaults();
  }

  stats(): UplinkStats {
    return {
      connected: this.connected,
      received: this.received,
      acked: this.acked,
      pending: this.queue.pending(),
      dropped: this.queue.dropped(),
      messagesInFlight: this.inflight,
      connects: this.connects,
      lastError: this.lastError,
    };
  }

  /** Publish offline status and disconnect; resolves within `budgetMs` whatever the broker does. */
  async stop(budgetMs: number): Promise<void> {
    this.stopping = true;
    this.cancelReconnect?.();
    const client = this.client;
    if (!client) return;
    const done = new Promise<void>((resolve) => {
      const finish = (): void => {
        client.end(false, {}, () => resolve());
      };
      if (!this.connected) {
        client.end(true, {}, () => resolve());
        return;
      }
      const status = this.status('offline', 'shutdown');
      client.publish(this.topics.status, status, { qos: 1, retain: true }, finish);
    });
    const timeout = new Promise<void>((resolve) => this.scheduler.after(budgetMs, resolve));
    await Promise.race([done, timeout]);
    client.end(true);
  }

  private status(state: 'online' | 'offline', reason?: string): string {
    const c = this.config;
    const p: StatusPayload = { v: PAYLOAD_VERSION, box: c.boxId, state, boot: c.boot, fw: c.firmware, since: Date.now(), ...(reason ? { reason } : {}) };
    return JSON.stringify(p);
  }

  private onConnect(): void {
    this.connected = true;
    this.connects++;
    this.backoff.reset();
    this.events.log('info', 'connected to broker', { url: this.config.url, connects: this.connects });
    this.client?.publish(this.topics.status, this.status('online'), { qos: 1, retain: true });
    this.publishFaults();
    this.events.stats(this.stats());
    this.pump();
  }

  private onClose(): void {
    const was = this.connected;
    this.connected = false;
    if (was && !this.stopping) this.events.log('warn', 'broker connection lost', { error: this.lastError });
    this.events.stats(this.stats());
    if (this.stopping || this.cancelReconnect) return;
    const delay = this.backoff.next();
    this.cancelReconnect = this.scheduler.after(delay, () => {
      this.cancelReconnect = undefined;
      if (!this.stopping) this.client?.reconnect();
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

  private pump(): void {
    const client = this.client;
    if (!client || !this.connected) return;
    while (this.inflight < this.config.inflightWindow) {
      const batch = this.queue.take(this.config.maxSamplesPerMessage);
      if (!batch) break;
      this.inflight++;
      const payload = encodeTelemetry(this.config.boxId, this.config.boot, batch.samples);
      client.publish(this.topics.telemetry, payload, { qos: 1 }, (err) => {
        this.inflight--;
        if (err) {
          // mqtt.js keeps unacknowledged QoS 1 packets across a lost connection and resends
          // them; an error here means the client was ended, so the batch goes back to the queue
          this.queue.release(batch.id);
          this.lastError = err.message;
          this.events.log('warn', 'publish failed', { error: err.message });
          return;
        }
        this.queue.ack(batch.id);
        this.acked += batch.samples.length;
        this.pump();
      });
    }
  }
}
