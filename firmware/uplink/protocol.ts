import type { ActiveFault, FaultEvent } from '../diagnostics/registry.js';
import type { Sample } from '../reading.js';

/** Settings the uplink worker needs; plain data so it crosses the thread boundary. */
export interface UplinkConfig {
  readonly url: string;
  readonly clientId: string;
  readonly username?: string;
  readonly password?: string;
  readonly keepaliveMs: number;
  readonly prefix: string;
  readonly boxId: string;
  readonly boot: number;
  readonly firmware: string;
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  readonly maxSamplesPerMessage: number;
  /** QoS 1 telemetry messages published and not yet acknowledged, at most */
  readonly inflightWindow: number;
  /** samples held in memory while the broker is away; oldest dropped (and counted) past this */
  readonly memoryQueueLimit: number;
}

/** Sampling thread → uplink worker. */
export type ToWorker =
  | { readonly t: 'init'; readonly config: UplinkConfig }
  | { readonly t: 'samples'; readonly samples: readonly Sample[] }
  | { readonly t: 'faults'; readonly active: readonly ActiveFault[]; readonly events: readonly FaultEvent[] }
  | { readonly t: 'stop' };

export interface UplinkStats {
  readonly connected: boolean;
  /** samples accepted from the sampling thread */
  readonly received: number;
  /** samples in messages the broker acknowledged */
  readonly acked: number;
  /** samples waiting (queued or in flight) */
  readonly pending: number;
  /** samples dropped because the memory queue was full */
  readonly dropped: number;
  readonly messagesInFlight: number;
  readonly connects: number;
  readonly lastError: string | undefined;
}

/** Uplink worker → sampling thread. */
export type FromWorker =
  | { readonly t: 'stats'; readonly stats: UplinkStats }
  | { readonly t: 'stopped' }
  | { readonly t: 'log'; readonly level: 'info' | 'warn' | 'error'; readonly msg: string; readonly fields?: Record<string, unknown> };
