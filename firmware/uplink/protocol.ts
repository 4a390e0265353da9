import type { TransportSecrets } from '../../config/secrets.js';
import type { TimeSource } from '../../drivers/bus/clock.js';
import type { FaultCode } from '../diagnostics/catalog.js';
import type { ActiveFault, FaultEvent } from '../diagnostics/registry.js';
import type { Sample } from '../reading.js';
import type { OutboxCounters } from './outbox.js';
import type { DropCounts, OverflowPolicy } from './queue.js';
import type { CommandResult, VerifiedCommand } from '../commands/specs.js';
import type { IntakeCounters } from '../security/intake.js';
import type { CommandGateConfig } from './commands.js';
import type { BrokerProbe } from '../diagnostics/broker-probe.js';

/** The durable outbox (profile uplink.outbox); absent = memory queue only. */
export interface OutboxConfig {
  /** database file */
  readonly path: string;
  /** commit (and publish) at most this often, ms: a power cut loses at most one such batch */
  readonly commitIntervalMs: number;
  readonly maxRows: number;
  readonly maxBytes: number;
  /** 0 = no age limit */
  readonly maxAgeMs: number;
  readonly policy: OverflowPolicy;
  /** memory ring while the disk is full or read-only, samples */
  readonly ringRows: number;
  /** retry the disk this often while it is in trouble, ms */
  readonly retryMs: number;
}

/** Settings the uplink worker needs; plain data so it crosses the thread boundary. */
export interface UplinkConfig {
  readonly url: string;
  readonly clientId: string;
  readonly username?: string;
  /** password and TLS files, read at start (config/secrets.ts); never logged */
  readonly secrets?: TransportSecrets;
  readonly keepaliveMs: number;
  readonly prefix: string;
  readonly boxId: string;
  readonly boot: number;
  /** random id of this start (firmware/state/boot.ts); the worker makes one when absent */
  readonly bootId?: string;
  /** the box never started before with this storage (a new outbox may then start sequences at 0) */
  readonly firstStart?: boolean;
  readonly firmware: string;
  /** the box's public key and key id (firmware/security/identity.ts), carried in the retained status */
  readonly identity?: { readonly key: string; readonly keyId: string };
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  readonly maxSamplesPerMessage: number;
  /** QoS 1 telemetry messages published and not yet acknowledged, at most */
  readonly inflightWindow: number;
  /** samples held in memory while the broker is away; oldest dropped (and counted) past this */
  readonly memoryQueueLimit: number;
  /** 5 = MQTT 5 with fallback to 3.1.1 when the broker refuses it; 4 = 3.1.1 only */
  readonly protocolVersion?: 4 | 5;
  /** without an outbox: how often the memory queue takes in samples (and publishing runs), ms; default 50 */
  readonly commitIntervalMs?: number;
  /** backlog readings per second after an outage (live readings are not limited); 0 = no limit (default) */
  readonly drainRate?: number;
  readonly outbox?: OutboxConfig;
  /** signed commands (firmware/uplink/commands.ts); absent = no command topic subscribed */
  readonly commands?: CommandGateConfig;
  /** MQTT 5 Maximum Packet Size announced to the broker, bytes */
  readonly maxIncomingBytes?: number;
}

/** Sampling thread → uplink worker. */
export type ToWorker =
  | { readonly t: 'init'; readonly config: UplinkConfig }
  | { readonly t: 'samples'; readonly samples: readonly Sample[] }
  | { readonly t: 'faults'; readonly active: readonly ActiveFault[]; readonly events: readonly FaultEvent[] }
  /** wall time became trustworthy: offsetMs = wall − monotonic (sampling thread) at that moment */
  | { readonly t: 'clock'; readonly offsetMs: number; readonly source: TimeSource }
  | { readonly t: 'stop' }
  /** the profile's `commands` were reloaded (SIGHUP) */
  | { readonly t: 'commands'; readonly config: CommandGateConfig }
  /** the sampling thread ran a verified command: the worker signs and publishes the reply */
  | { readonly t: 'reply'; readonly command: VerifiedCommand; readonly result: CommandResult }
  /** a diagnostics message (health report, command reply, commissioning record); retained ones are re-sent on every connect */
  | { readonly t: 'publish'; readonly topic: string; readonly payload: string; readonly retain: boolean }
  /** diag's broker probe (firmware/diagnostics/broker-probe.ts), run where mqtt.js already is, with the uplink's own broker and login */
  | { readonly t: 'probe'; readonly id: number; readonly base: string; readonly timeoutMs: number };

export interface UplinkStats {
  readonly connected: boolean;
  /** samples accepted from the sampling thread */
  readonly received: number;
  /** samples in messages the broker acknowledged */
  readonly acked: number;
  /** samples waiting (queued or in flight) */
  readonly pending: number;
  /** samples dropped by the queue's bounds since start (exact), total and by cause */
  readonly dropped: number;
  readonly drops?: DropCounts;
  readonly protocolVersion?: 4 | 5;
  /** the durable outbox, when there is one */
  readonly outbox?: OutboxCounters;
  /** command messages: received, accepted, refused by reason */
  readonly commands?: IntakeCounters;
  /** the broker acknowledged the subscription to the command topic on this connection (SUBACK): a command sent now reaches the box */
  readonly commandsSubscribed?: boolean;
  readonly messagesInFlight: number;
  readonly connects: number;
  readonly lastError: string | undefined;
}

/** Uplink worker → sampling thread. */
export type FromWorker =
  | { readonly t: 'stats'; readonly stats: UplinkStats }
  | { readonly t: 'stopped' }
  /** a command that passed every check of the worker's CommandGate (signed, fresh, used once, allowed) */
  | { readonly t: 'command'; readonly command: VerifiedCommand }
  /** the worker saw a fault (outbox storage, drops); the sampling thread owns the registry */
  | { readonly t: 'fault'; readonly op: 'raise'; readonly code: FaultCode; readonly subject: string; readonly message: string; readonly details?: Record<string, unknown> }
  | { readonly t: 'fault'; readonly op: 'clear'; readonly code: FaultCode; readonly subject: string }
  | { readonly t: 'log'; readonly level: 'info' | 'warn' | 'error'; readonly msg: string; readonly fields?: Record<string, unknown> }
  | { readonly t: 'probe'; readonly id: number; readonly result: BrokerProbe };
