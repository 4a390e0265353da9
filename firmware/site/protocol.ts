import type { Actor } from './actions.js';

/** What the HTTP worker is started with. */
export interface SiteWorkerData {
  readonly host: string;
  readonly port: number;
  readonly maxConnections: number;
  readonly sessionTtl: number;
  /** the state directory: passphrase hash, action log */
  readonly stateDir: string;
  /** commands a logged-in technician may give (site.http.allow) */
  readonly allow: readonly string[];
}

export interface SiteServerStats {
  requests: number;
  refused: Record<number, number>;
  clientErrors: number;
  eventStreams: number;
  pushes: number;
  droppedStreams: number;
  /** connections closed at once because a client already held its share */
  perClientRefused: number;
}

/** Sampling thread → HTTP worker. */
export type ToSiteWorker =
  /** the page state (JSON), built on the sampling thread; `now`: push it to open pages at once */
  | { readonly t: 'snapshot'; readonly json: string; readonly now: boolean }
  | { readonly t: 'reply'; readonly id: number; readonly status: number; readonly body: unknown }
  | { readonly t: 'file'; readonly id: number; readonly name: string; readonly data: Uint8Array }
  | { readonly t: 'stats' }
  | { readonly t: 'stop' };

/** HTTP worker → sampling thread. */
export type FromSiteWorker =
  | { readonly t: 'listening'; readonly port: number }
  | { readonly t: 'failed'; readonly error: string }
  /** run an action for a technician whose session the worker has checked */
  | { readonly t: 'action'; readonly id: number; readonly name: string; readonly args: Record<string, unknown>; readonly actor: Actor }
  | { readonly t: 'bundle'; readonly id: number; readonly actor: Actor }
  | { readonly t: 'log'; readonly level: 'info' | 'warn' | 'error'; readonly msg: string; readonly fields?: Record<string, unknown> }
  | { readonly t: 'stats'; readonly stats: SiteServerStats }
  | { readonly t: 'stopped' };
