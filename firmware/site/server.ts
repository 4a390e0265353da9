import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { recentLogLines } from '../log.js';
import { buildSupportBundle, journalLogs } from '../support/bundle.js';
import { startWorker } from '../worker-thread.js';
import { ACTIONS, type ActionName, SiteActions, type SiteCommand } from './actions.js';
import type { FromSiteWorker, SiteServerStats, SiteWorkerData, ToSiteWorker } from './protocol.js';
import { type SiteSource, SiteState } from './state.js';
import { LIMITS } from './limits.js';

export { LIMITS } from './limits.js';
export type { SiteServerStats } from './protocol.js';

export interface SiteServerConfig {
  readonly host: string;
  readonly port: number;
  readonly maxConnections: number;
  readonly sessionTtl: number;
  readonly allow: readonly SiteCommand[];
}

/**
 * The technician page, sampling-thread side. HTTP lives in a worker thread (http-worker.ts);
 * this side builds the page state once per push (every 2 s, and at once when a fault changes)
 * and sends it over as one JSON string, and runs the actions the worker forwards — one at a
 * time, each logged with who asked. docs/architecture.md says why, with the bench figures.
 */
export class SiteServer {
  readonly state: SiteState;
  readonly actions: SiteActions;
  /** the port listened on (site.http.port, or the one the system chose for port 0) */
  port = 0;
  private worker: Worker | undefined;
  private pushTask: { cancel(): void } | undefined;
  private pushSoon = false;
  private stopped = false;
  private statsWaiters: ((s: SiteServerStats) => void)[] = [];
  private readonly log: Logger;

  constructor(
    private readonly src: SiteSource,
    private readonly config: SiteServerConfig,
    log: Logger,
  ) {
    this.log = log.child({ module: 'site' });
    this.state = new SiteState(src);
    this.actions = new SiteActions(src, this.log, config.allow);
  }

  async start(): Promise<number> {
    const workerData: SiteWorkerData = { host: this.config.host, port: this.config.port, maxConnections: this.config.maxConnections, sessionTtl: this.config.sessionTtl, stateDir: this.src.profile.storage.dir, allow: this.config.allow };
    const w = startWorker(import.meta.url, 'http-worker', { workerData });
    this.worker = w;
    w.unref();
    const port = await new Promise<number>((resolve, reject) => {
      w.on('message', (m: FromSiteWorker) => {
        if (m.t === 'listening') resolve(m.port);
        else if (m.t === 'failed') reject(new Error(m.error));
        else void this.onMessage(m);
      });
      w.once('error', reject);
      w.once('exit', (code) => reject(new Error(`site worker exited (${code})`)));
    });
    w.on('error', (e) => this.log.error({ err: e }, 'technician page worker failed; the box samples and publishes as usual'));
    this.port = port;
    this.state.start();
    this.send(false);
    this.pushTask = this.src.scheduler.every('site-push', LIMITS.pushIntervalMs, () => this.send(false));
    this.src.faults.onEvent(() => {
      // a fault change reaches open pages on the next turn of the loop, not at the next push
      if (this.pushSoon || this.stopped) return;
      this.pushSoon = true;
      this.src.scheduler.after(0, () => {
        this.pushSoon = false;
        this.send(true);
      });
    });
    this.log.info({ url: `http://${this.config.host.includes(':') ? `[${this.config.host}]` : this.config.host}:${port}/` }, 'technician page listening');
    return port;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.pushTask?.cancel();
    this.state.stop();
    const w = this.worker;
    if (!w) return;
    const done = new Promise<void>((resolve) => {
      w.on('message', (m: FromSiteWorker) => m.t === 'stopped' && resolve());
      w.once('exit', () => resolve());
      setTimeout(resolve, 1000).unref();
    });
    this.post({ t: 'stop' });
    await done;
    await w.terminate();
  }

  /** The worker's request counters (tests, bench). */
  stats(): Promise<SiteServerStats> {
    return new Promise((resolve) => {
      this.statsWaiters.push(resolve);
      this.post({ t: 'stats' });
    });
  }

  private post(m: ToSiteWorker, transfer: ArrayBuffer[] = []): void {
    if (!this.worker) return;
    this.worker.postMessage(m, transfer);
  }

  private send(now: boolean): void {
    if (this.stopped) return;
    this.post({ t: 'snapshot', json: JSON.stringify(this.state.snapshot(this.src.diagnostics()?.latestHealth())), now });
  }

  private async onMessage(m: FromSiteWorker): Promise<void> {
    switch (m.t) {
      case 'log':
        this.log[m.level](m.fields ?? {}, m.msg);
        return;
      case 'stats':
        for (const w of this.statsWaiters.splice(0)) w(m.stats);
        return;
      case 'action': {
        if (!ACTIONS.includes(m.name as ActionName)) return this.post({ t: 'reply', id: m.id, status: 404, body: { ok: false, error: `no action "${m.name}"` } });
        const r = await this.actions.run(m.name as ActionName, m.args, m.actor);
        this.post({ t: 'reply', id: m.id, status: r.ok ? 200 : r.status, body: r.ok ? r : { ok: false, error: r.error } });
        return;
      }
      case 'bundle': {
        try {
          const diag = this.src.diagnostics();
          const report = diag ? await diag.diagnose() : undefined;
          const b = await buildSupportBundle({
            profile: this.src.profile,
            ...(report ? { diag: report } : {}),
            health: diag?.latestHealth(),
            faults: this.src.faults.active(),
            requestedBy: `${m.actor.who} (technician page, ${m.actor.client})`,
            logs: async () => {
              const mem = recentLogLines();
              return `${await journalLogs()}\n--- the last ${mem.length} log lines of this run, kept in memory ---\n${mem.join('')}`;
            },
          }, this.src.clock.wallMs());
          this.actions.record({ t: new Date(this.src.clock.wallMs()).toISOString(), who: m.actor.who, client: m.actor.client, action: 'support-bundle', args: {}, outcome: `downloaded (${b.data.length} bytes)` });
          const data = new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength).slice();
          this.post({ t: 'file', id: m.id, name: b.fileName, data }, [data.buffer]);
        } catch (e) {
          this.log.error({ err: e }, 'support bundle failed');
          this.post({ t: 'reply', id: m.id, status: 500, body: { ok: false, error: (e as Error).message } });
        }
        return;
      }
      default:
        return;
    }
  }
}
