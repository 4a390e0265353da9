import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { tempDir, track } from './scratch.js';

/** A free TCP port on loopback (bound, read, released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/**
 * A real Mosquitto broker on a free loopback port, for tests. `max_queued_messages 0` and a big
 * inflight window so the broker itself never drops QoS 1 messages to a slow test subscriber
 * (Mosquitto's defaults do, see docs/mqtt.md). kill() and start() again simulate outages on the
 * same port.
 */
export class Mosquitto {
  private proc: ChildProcess | undefined;
  readonly dir = tempDir('mosq', 'file');
  readonly port: number;
  private readonly plain: boolean;

  /** `listener`: the lines after `listener <port> 127.0.0.1` (TLS files, ACL…; the default: anonymous, plain) */
  private constructor(port: number, listener?: (dir: string) => string[], unlimited = true) {
    this.port = port;
    this.plain = listener === undefined;
    // a broker started as root drops to the mosquitto user, and reads password and ACL files after
    if (listener) chmodSync(this.dir, 0o755);
    writeFileSync(
      join(this.dir, 'mosquitto.conf'),
      [`listener ${port} 127.0.0.1`, ...(listener ? listener(this.dir) : ['allow_anonymous true']), ...(unlimited ? ['max_queued_messages 0', 'max_inflight_messages 0'] : []), 'persistence false', ''].join('\n'),
    );
  }

  static async start(): Promise<Mosquitto> {
    const m = new Mosquitto(await freePort());
    await m.start();
    return m;
  }

  /**
   * A broker with its own listener settings (TLS, require_certificate, password file, ACL);
   * `listener` gets the broker's temporary folder to write its files into. Ready when the port
   * accepts TCP connections. `unlimitedQueues: false` keeps Mosquitto's default inflight window:
   * with `max_inflight_messages 0`, Mosquitto 2.0.11 drops the connection right after a PUBACK
   * that refuses a publish (reason 0x87), which would hide what the box reports about an ACL.
   */
  static async startWith(listener: (dir: string) => string[], o: { unlimitedQueues?: boolean } = {}): Promise<Mosquitto> {
    const m = new Mosquitto(await freePort(), listener, o.unlimitedQueues ?? true);
    await m.start();
    return m;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const bin = process.env.MOSQUITTO_BIN ?? '/usr/sbin/mosquitto';
    // a broker outlives a test when a describe shares it; it never outlives the file
    const proc = track(spawn(bin, ['-c', join(this.dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] }), 'file');
    this.proc = proc;
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const deadline = Date.now() + 5000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`mosquitto exited ${proc.exitCode}: ${stderr}`);
      if (await (this.plain ? canConnect(this.port) : acceptsTcp(this.port))) return;
      if (Date.now() > deadline) throw new Error(`mosquitto did not listen on ${this.port}: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** kill -9: the broker vanishes without closing connections cleanly. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill(signal);
    });
    this.proc = undefined;
  }

  async stop(): Promise<void> {
    await this.kill('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function acceptsTcp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 1000 });
    c.once('connect', () => {
      c.end(true);
      resolve(true);
    });
    c.once('error', () => {
      c.end(true);
      resolve(false);
    });
    c.once('close', () => resolve(false));
  });
}

/** A subscriber that records every message (topic, parsed JSON) on a topic filter. */
export class Recorder {
  readonly messages: { topic: string; payload: unknown; retain: boolean }[] = [];
  /**
   * Spans of wall time (ms) when this subscriber was not subscribed (from a lost connection to
   * the SUBACK after reconnecting): what a broker accepted then had nobody to go to.
   */
  readonly unsubscribed: { from: number; to: number }[] = [];
  private downSince: number | undefined;
  private constructor(readonly client: MqttClient) {}

  /** Whether the subscriber was unsubscribed at wall time t (with `slackMs` either side). */
  wasAway(t: number, slackMs = 100): boolean {
    if (this.downSince !== undefined && t >= this.downSince - slackMs) return true;
    return this.unsubscribed.some((g) => t >= g.from - slackMs && t <= g.to + slackMs);
  }

  static async connect(url: string, filter: string): Promise<Recorder> {
    const client = mqtt.connect(url, { reconnectPeriod: 200, clean: true });
    const r = new Recorder(client);
    client.on('message', (topic, payload, packet) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(payload.toString('utf8'));
      } catch {
        parsed = payload.toString('utf8');
      }
      r.messages.push({ topic, payload: parsed, retain: packet.retain });
    });
    const subscribe = (): Promise<void> =>
      new Promise((resolve, reject) => client.subscribe(filter, { qos: 1 }, (e) => (e ? reject(e) : resolve())));
    // after a broker restart the clean session is gone: subscribe again on every connect
    client.on('connect', () =>
      void subscribe().then(
        () => {
          if (r.downSince !== undefined) r.unsubscribed.push({ from: r.downSince, to: Date.now() });
          r.downSince = undefined;
        },
        () => undefined,
      ),
    );
    client.on('close', () => {
      r.downSince ??= Date.now();
    });
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    await subscribe();
    return r;
  }

  on(topicSuffix: string): { topic: string; payload: unknown; retain: boolean }[] {
    return this.messages.filter((m) => m.topic.endsWith(topicSuffix));
  }

  /** Wait until predicate holds over the recorded messages, polling every 20 ms. */
  async waitFor(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.client.end(true, {}, () => resolve()));
  }
}

/**
 * A TCP relay between the box and the broker that a test can cut: a network outage (4G gone)
 * while the broker and the platform's subscriber stay up, so what is measured is the box alone.
 */
export class NetworkLink {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  private constructor(
    readonly port: number,
    private readonly target: number,
  ) {}

  static async open(target: number): Promise<NetworkLink> {
    const link = new NetworkLink(await freePort(), target);
    await link.restore();
    return link;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** Drop every connection and refuse new ones. */
  async cut(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    for (const x of this.sockets) x.destroy();
    this.sockets.clear();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** Accept connections again (no-op while up). */
  async restore(): Promise<void> {
    if (this.server) return;
    const server = createServer((inbound) => {
      const outbound = connect(this.target, '127.0.0.1');
      this.sockets.add(inbound);
      this.sockets.add(outbound);
      inbound.pipe(outbound).pipe(inbound);
      const end = (): void => {
        inbound.destroy();
        outbound.destroy();
        this.sockets.delete(inbound);
        this.sockets.delete(outbound);
      };
      inbound.on('error', end).on('close', end);
      outbound.on('error', end).on('close', end);
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
  }
}
