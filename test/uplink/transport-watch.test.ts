import { describe, expect, it } from 'vitest';
import type { FaultCode } from '../../firmware/diagnostics/catalog.js';
import { TransportWatch } from '../../firmware/uplink/transport-watch.js';

function watch(url = 'mqtts://broker:8883') {
  let now = 0;
  const notes: string[] = [];
  const w = new TransportWatch(url, (op, code: FaultCode, message) => notes.push(`${op} ${code}${message ? `: ${message}` : ''}`), () => now, 30_000);
  return { w, notes, advance: (ms: number) => (now += ms) };
}

describe('TransportWatch: what the box makes of its connections', () => {
  it('a DISCONNECT 0x8E (MQTT 5 brokers that send it) is a takeover; a connection up 30 s clears it', () => {
    const { w, notes, advance } = watch();
    w.connected();
    w.disconnectPacket(0x8e);
    w.closed({ hadConnack: true, sawError: false, disconnectSeen: true });
    expect(notes).toEqual(['raise SESSION_TAKEOVER: the broker says another client connected with this client id (DISCONNECT 0x8E, session taken over) (1 in a row)']);
    w.connected();
    advance(29_000);
    w.tick();
    expect(notes).toHaveLength(1);
    advance(1000);
    w.tick();
    expect(notes.at(-1)).toBe('clear SESSION_TAKEOVER');
  });

  it('a connection reset (broker killed, network cut) or a long-lived connection closing is no takeover', () => {
    const { w, notes, advance } = watch();
    w.connected();
    w.closed({ hadConnack: true, sawError: true, disconnectSeen: false });
    w.connected();
    advance(20_000);
    w.closed({ hadConnack: true, sawError: false, disconnectSeen: false });
    w.connected();
    w.disconnectPacket(0x8b); // server shutting down
    w.closed({ hadConnack: true, sawError: false, disconnectSeen: true });
    expect(notes).toEqual([]);
  });

  it('counts takeovers in a row, each a raise (the registry raises the fault at the third)', () => {
    const { w, notes, advance } = watch();
    for (let i = 0; i < 3; i++) {
      w.connected();
      advance(400);
      w.closed({ hadConnack: true, sawError: false, disconnectSeen: false });
    }
    expect(notes.map((n) => n.replace(/: .*\((\d+) in a row\)$/, ' #$1'))).toEqual(['raise SESSION_TAKEOVER #1', 'raise SESSION_TAKEOVER #2', 'raise SESSION_TAKEOVER #3']);
  });

  it('a TLS or login failure is raised with its code and cleared by the next accepted connection', () => {
    const { w, notes } = watch();
    w.error(Object.assign(new Error('certificate has expired'), { code: 'CERT_HAS_EXPIRED' }), 5);
    w.error(Object.assign(new Error('Connection refused: Not authorized'), { code: 0x87 }), 5);
    w.error(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 5);
    w.connected();
    expect(notes).toEqual([
      "raise TLS_CERT_EXPIRED: mqtts://broker:8883: the broker's certificate has expired",
      "raise BROKER_AUTH_REFUSED: mqtts://broker:8883: the broker refused the box's login (CONNACK 0x87, not authorised): check uplink.username and the password file",
      'clear TLS_CERT_EXPIRED',
      'clear BROKER_AUTH_REFUSED',
    ]);
  });

  it('an ACL refusal (PUBACK 0x87, SUBACK 0x80) is raised; the next accepted publish clears it', () => {
    const { w, notes } = watch();
    w.refused('publishing on edgefw/b/telemetry', 0x87);
    w.refused('the subscription to edgefw/b/cmd/+', 0x80);
    w.refused('publishing on edgefw/b/telemetry', 0x97); // quota exceeded: not an ACL matter
    w.accepted();
    w.accepted();
    expect(notes).toEqual([
      'raise BROKER_NOT_AUTHORIZED: the broker refused publishing on edgefw/b/telemetry (not authorised, 0x87): its ACL does not grant this box its topics',
      'raise BROKER_NOT_AUTHORIZED: the broker refused the subscription to edgefw/b/cmd/+ (failure, 0x80): its ACL does not grant this box its topics',
      'clear BROKER_NOT_AUTHORIZED',
    ]);
  });
});
