import { describe, expect, it } from 'vitest';
import { parseProfileText } from '../../config/load.js';
import { brokerCheck, renderReport, makeReport, transportChecks } from '../../firmware/diagnostics/diag.js';
import { classifyTransportError } from '../../firmware/uplink/transport.js';

const profile = (uplink: string) => parseProfileText(`box: { id: b }\nuplink: ${uplink}\n`);

describe('diag: how the box reaches its broker', () => {
  it('plain MQTT to another machine is a WARN; on loopback it passes', () => {
    expect(transportChecks(profile('{ url: "mqtt://10.1.2.3:1883" }'), undefined)).toEqual([
      { section: 'broker', name: 'transport', verdict: 'WARN', detail: 'uplink.url: mqtt://10.1.2.3:1883 is plain MQTT to another machine: readings and commands cross the network unencrypted; use mqtts:// with uplink.tls (docs/security.md)' },
    ]);
    expect(transportChecks(profile('{ url: "mqtt://localhost:1883" }'), undefined)).toEqual([{ section: 'broker', name: 'transport', verdict: 'PASS', detail: 'plain MQTT on loopback' }]);
    expect(transportChecks(profile('{ embeddedBroker: { port: 0 } }'), undefined)).toEqual([]);
  });

  it('TLS passes with the certificate end date; an expired box certificate fails with its remedy', () => {
    const p = profile('{ url: "mqtts://broker:8883" }');
    const now = Date.parse('2026-06-01T00:00:00Z');
    const valid = { tls: { ca: 'PEM' }, certValidity: { from: now - 1e9, to: Date.parse('2027-03-01T00:00:00Z'), subject: 'CN=b' } };
    expect(transportChecks(p, valid, now)).toEqual([{ section: 'broker', name: 'transport', verdict: 'PASS', detail: 'TLS (uplink.tls.ca), client certificate until 2027-03-01' }]);
    const [expired] = transportChecks(p, { ...valid, certValidity: { ...valid.certValidity, to: now - 1000 } }, now);
    expect(expired).toMatchObject({ verdict: 'FAIL', code: 'TLS_CERT_EXPIRED', detail: expect.stringContaining("the box's certificate (CN=b) expired on") });
    expect(expired?.remedy).toMatch(/Check the box's clock first/);
    expect(transportChecks(p, { ...valid, certValidity: { ...valid.certValidity, to: now + 5 * 86_400_000 } }, now)[0]).toMatchObject({ verdict: 'WARN', detail: expect.stringContaining('renew it') });
  });

  it('a failed broker probe names the TLS fault, not just "unreachable", and never prints URL credentials', () => {
    const c = brokerCheck('mqtts://k:pw@broker:8883', { ok: false, error: 'unable to verify the first certificate', errorCode: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    expect(c).toMatchObject({ verdict: 'FAIL', code: 'TLS_SERVER_UNTRUSTED' });
    expect(c.remedy).toMatch(/city's current CA certificate/);
    expect(JSON.stringify(c)).not.toContain('pw');
    expect(brokerCheck('mqtt://broker:1883', { ok: false, error: 'connect ECONNREFUSED' })).toMatchObject({ code: 'BROKER_UNREACHABLE', detail: 'mqtt://broker:1883: connect ECONNREFUSED' });
    expect(brokerCheck('mqtt://broker:1883', { ok: false, error: 'Connection refused: Not authorized', errorCode: 0x87 })).toMatchObject({ code: 'BROKER_AUTH_REFUSED' });
    const report = makeReport('standalone', profile('{ url: "mqtt://broker:1883" }'), 'fw', 0, [c]);
    expect(renderReport(report)).toContain('TLS_SERVER_UNTRUSTED: ');
  });

  it('classifies the TLS errors Node reports, each to its own code', () => {
    const cls = (code: string, message = code, url = 'mqtts://b:8883') => classifyTransportError(Object.assign(new Error(message), { code }), url)?.code;
    expect(cls('SELF_SIGNED_CERT_IN_CHAIN')).toBe('TLS_SERVER_UNTRUSTED');
    expect(cls('ERR_TLS_CERT_ALTNAME_INVALID')).toBe('TLS_HOSTNAME_MISMATCH');
    expect(cls('CERT_HAS_EXPIRED')).toBe('TLS_CERT_EXPIRED');
    expect(cls('CERT_NOT_YET_VALID')).toBe('TLS_CERT_EXPIRED');
    expect(cls('ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED')).toBe('TLS_CERT_EXPIRED');
    expect(cls('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED')).toBe('TLS_CLIENT_CERT_REFUSED');
    expect(cls('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA')).toBe('TLS_CLIENT_CERT_REFUSED');
    expect(cls('ERR_SSL_WRONG_VERSION_NUMBER')).toBe('TLS_PROTOCOL_MISMATCH');
    expect(cls('ECONNRESET', 'Client network socket disconnected before secure TLS connection was established')).toBe('TLS_PROTOCOL_MISMATCH');
    expect(cls('ECONNRESET', 'read ECONNRESET', 'mqtt://b:1883')).toBeUndefined();
    expect(cls('ECONNREFUSED')).toBeUndefined();
  });
});
