import { displayUrl } from '../../config/url.js';
import type { FaultCode } from '../diagnostics/catalog.js';
import { classifyConnackRefusal, classifyTransportError, hostPort, probeTls } from './transport.js';

export type TransportFaultSink = (op: 'raise' | 'clear', code: FaultCode, message?: string) => void;

/** The faults this watch raises; all cleared once a connection has been accepted (or stayed up). */
const CONNECT_FAULTS: readonly FaultCode[] = [
  'TLS_SERVER_UNTRUSTED', 'TLS_HOSTNAME_MISMATCH', 'TLS_CERT_EXPIRED', 'TLS_PROTOCOL_MISMATCH', 'TLS_CLIENT_CERT_REFUSED', 'BROKER_AUTH_REFUSED',
];

/** MQTT 5 DISCONNECT reason code: another client connected with this client id */
export const SESSION_TAKEN_OVER = 0x8e;
/** MQTT 5 reason code "not authorized" (PUBACK, SUBACK, DISCONNECT) */
const NOT_AUTHORIZED = 0x87;

/**
 * Watches one box's connections to the broker from inside the uplink worker and turns what
 * mqtt.js reports into fault codes with remedies: TLS trouble (untrusted broker, wrong host
 * name, expired certificate, TLS/plain mismatch, client certificate refused), refused logins,
 * ACL refusals and session takeovers. Which side is wrong is in each message.
 */
export class TransportWatch {
  private raised = new Set<FaultCode>();
  private connectedAt: number | undefined;
  private takeovers = 0;
  private takeoverRaised = false;
  private lastFailure: FaultCode | undefined;
  private probing = false;
  private lastProbeAt = Number.NEGATIVE_INFINITY;
  private lastErrorCode: unknown;

  constructor(
    private readonly url: string,
    private readonly sink: TransportFaultSink,
    private readonly now: () => number,
    /** a connection up this long is not being taken over, ms */
    private readonly stableMs = 30_000,
  ) {}

  /** the code of the last connection failure, for the log line */
  get failure(): FaultCode | undefined {
    return this.lastFailure;
  }

  /** an error event from mqtt.js (socket, TLS or CONNACK refusal) */
  error(err: Error & { code?: unknown }, protocolVersion: 4 | 5): void {
    this.lastErrorCode = err.code;
    const f = classifyTransportError(err, this.url) ?? classifyConnackRefusal(err.code, this.url, protocolVersion);
    if (!f) return;
    this.lastFailure = f.code;
    this.raise(f.code, f.message);
  }

  /** CONNACK accepted */
  connected(): void {
    this.connectedAt = this.now();
    this.lastFailure = undefined;
    for (const code of [...this.raised]) {
      if (CONNECT_FAULTS.includes(code)) this.clear(code);
    }
  }

  /** a DISCONNECT packet from the broker (MQTT 5) */
  disconnectPacket(reasonCode: number | undefined): void {
    if (reasonCode === SESSION_TAKEN_OVER) this.takenOver('the broker says another client connected with this client id (DISCONNECT 0x8E, session taken over)');
    else if (reasonCode === NOT_AUTHORIZED) this.raise('BROKER_NOT_AUTHORIZED', `the broker disconnected the box: not authorised (DISCONNECT 0x87)`);
  }

  /**
   * The connection closed. `sawError`: mqtt.js reported an error for it (a broker killed or a
   * network cut resets the socket); `disconnectSeen`: a DISCONNECT packet already said why.
   * MQTT 3.1.1 has no DISCONNECT from the broker, and Mosquitto 2.0 sends none on a takeover
   * even with MQTT 5 (it just closes the old connection): a clean close soon after a successful
   * connect is counted as a takeover. One alone is no fault (raiseAfter 3 in the catalogue).
   */
  closed(o: { hadConnack: boolean; sawError: boolean; disconnectSeen: boolean }): void {
    const up = this.connectedAt === undefined ? 0 : this.now() - this.connectedAt;
    const was = this.connectedAt !== undefined;
    this.connectedAt = undefined;
    if (was && up >= this.stableMs) this.stable();
    if (o.hadConnack && !o.sawError && !o.disconnectSeen && up < 10_000) {
      this.takenOver(`the broker closed the connection ${Math.round(up / 100) / 10} s after accepting it, without a reason: probably another client connected with this client id`);
    }
    // a TLS port resets a plain CONNECT (or just closes): one handshake attempt tells
    const reset = !o.sawError || this.lastErrorCode === 'ECONNRESET' || this.lastErrorCode === 'EPIPE';
    if (!o.hadConnack && reset && this.lastFailure === undefined) void this.checkTlsMismatch();
    this.lastErrorCode = undefined;
  }

  /** a publish or subscription refused with a reason code (MQTT 5 PUBACK/SUBACK, 3.1.1 SUBACK 0x80) */
  refused(what: string, reasonCode: number | undefined): void {
    if (reasonCode === NOT_AUTHORIZED || reasonCode === 0x80) {
      this.raise('BROKER_NOT_AUTHORIZED', `the broker refused ${what} (${reasonCode === NOT_AUTHORIZED ? 'not authorised, 0x87' : 'failure, 0x80'}): its ACL does not grant this box its topics`);
    }
  }

  /** a publish or subscription accepted: the ACL lets the box work */
  accepted(): void {
    if (this.raised.has('BROKER_NOT_AUTHORIZED')) this.clear('BROKER_NOT_AUTHORIZED');
  }

  /** call periodically (or on any event): a connection up for stableMs clears a takeover */
  tick(): void {
    if (this.connectedAt !== undefined && this.now() - this.connectedAt >= this.stableMs) this.stable();
  }

  private stable(): void {
    this.takeovers = 0;
    if (this.takeoverRaised) {
      this.takeoverRaised = false;
      this.sink('clear', 'SESSION_TAKEOVER');
    }
  }

  private takenOver(message: string): void {
    this.takeovers++;
    this.takeoverRaised = true;
    this.sink('raise', 'SESSION_TAKEOVER', `${message} (${this.takeovers} in a row)`);
  }

  /** mqtt:// to a port that speaks TLS, or mqtts:// to one that does not */
  private async checkTlsMismatch(): Promise<void> {
    const hp = hostPort(this.url);
    if (!hp || this.probing || this.now() - this.lastProbeAt < 10_000) return;
    this.probing = true;
    this.lastProbeAt = this.now();
    try {
      const secure = /^(mqtts|wss):/.test(this.url);
      const found = await probeTls(hp.host, hp.port);
      const where = displayUrl(this.url);
      if (!secure && found === 'tls') {
        this.lastFailure = 'TLS_PROTOCOL_MISMATCH';
        this.raise('TLS_PROTOCOL_MISMATCH', `${where}: the port speaks TLS but uplink.url is plain MQTT; use mqtts:// with uplink.tls`);
      } else if (secure && found === 'plain') {
        this.lastFailure = 'TLS_PROTOCOL_MISMATCH';
        this.raise('TLS_PROTOCOL_MISMATCH', `${where}: the port does not speak TLS (a plaintext MQTT port?); use the broker's TLS port (usually 8883)`);
      }
    } finally {
      this.probing = false;
    }
  }

  private raise(code: FaultCode, message: string): void {
    this.raised.add(code);
    this.sink('raise', code, message);
  }

  private clear(code: FaultCode): void {
    this.raised.delete(code);
    this.sink('clear', code);
  }
}
