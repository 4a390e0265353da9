import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Mosquitto } from '../helpers/mosquitto.js';
import { type TestPki, makeTestPki, tlsListener } from '../helpers/tls-ca.js';
import { type TestSession, startTestSession, waitUntil } from '../helpers/transport.js';

/**
 * Mutual TLS against a real Mosquitto with `require_certificate true`, and every way it goes
 * wrong, each with its own fault code: the harness makes a city CA, broker and box
 * certificates with openssl (test/helpers/tls-ca.ts).
 */
describe('uplink over TLS to Mosquitto', () => {
  let pki: TestPki;
  let mtls: Mosquitto;
  const sessions: TestSession[] = [];
  const box = (uplink: string, o?: Parameters<typeof startTestSession>[2]): TestSession => {
    const s = startTestSession('tls-box', uplink, o);
    sessions.push(s);
    return s;
  };
  const tls = (o: { ca?: string; cert?: string; key?: string; servername?: string }): string =>
    `{ ${Object.entries(o).map(([k, v]) => `${k}: "${v}"`).join(', ')} }`;

  beforeAll(async () => {
    pki = makeTestPki();
    mtls = await Mosquitto.startWith(() => tlsListener(pki, pki.server, { requireCertificate: true }));
  });
  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.stop()));
    await mtls.stop();
    pki.remove();
  });

  it('connects with the city CA and its own certificate; readings reach a platform subscriber', async () => {
    const platform = pki.issueClient('platform');
    const sub = mqtt.connect(`mqtts://localhost:${mtls.port}`, { ca: readPem(pki.ca), cert: readPem(platform.cert), key: readPem(platform.key), reconnectPeriod: 0 });
    const got: string[] = [];
    sub.on('message', (t) => got.push(t));
    await new Promise<void>((resolve, reject) => {
      sub.once('connect', () => sub.subscribe('edgefw/tls-box/#', { qos: 1 }, (e) => (e ? reject(e) : resolve())));
      sub.once('error', reject);
    });
    const s = box(`{ url: "mqtts://localhost:${mtls.port}", tls: ${tls({ ca: pki.ca, cert: pki.client.cert, key: pki.client.key })} }`);
    await waitUntil('connected', () => s.session.stats().connected);
    s.session.submit([{ device: 'env', kind: 'sample', monoMs: 0, wallMs: Date.now(), timeSource: 'system', values: [{ channel: 't', value: 21.5, unit: '°C' }] }]);
    await waitUntil('telemetry at the platform', () => got.includes('edgefw/tls-box/telemetry'));
    expect(got).toContain('edgefw/tls-box/status');
    expect(s.faults.filter((f) => f.op === 'raise')).toEqual([]);
    sub.end(true);
  });

  it('wrong CA: TLS_SERVER_UNTRUSTED, and the box never connects', async () => {
    const s = box(`{ url: "mqtts://localhost:${mtls.port}", tls: ${tls({ ca: pki.otherCa, cert: pki.client.cert, key: pki.client.key })} }`);
    const f = await s.raised('TLS_SERVER_UNTRUSTED');
    expect(f.message).toMatch(/does not chain to a trusted CA/);
    expect(s.session.stats().connects).toBe(0);
  });

  it('no client certificate where the broker requires one: TLS_CLIENT_CERT_REFUSED', async () => {
    const s = box(`{ url: "mqtts://localhost:${mtls.port}", tls: ${tls({ ca: pki.ca })} }`);
    expect((await s.raised('TLS_CLIENT_CERT_REFUSED')).message).toMatch(/refused the box's client certificate/);
    expect(s.session.stats().connects).toBe(0);
  });

  it('a box certificate from another CA: TLS_CLIENT_CERT_REFUSED', async () => {
    const s = box(`{ url: "mqtts://localhost:${mtls.port}", tls: ${tls({ ca: pki.ca, cert: pki.clientOtherCa.cert, key: pki.clientOtherCa.key })} }`);
    expect((await s.raised('TLS_CLIENT_CERT_REFUSED')).message).toMatch(/unknown_ca/);
  });

  it("the box's own certificate expired: TLS_CERT_EXPIRED naming the box's side", async () => {
    const s = box(`{ url: "mqtts://localhost:${mtls.port}", tls: ${tls({ ca: pki.ca, cert: pki.clientExpired.cert, key: pki.clientExpired.key })} }`);
    expect((await s.raised('TLS_CERT_EXPIRED')).message).toMatch(/refused the box's certificate as expired/);
    expect(s.faults.some((f) => f.code === 'TLS_CLIENT_CERT_REFUSED')).toBe(false);
  });

  it('connecting by a name the broker certificate does not carry: TLS_HOSTNAME_MISMATCH', async () => {
    const s = box(`{ url: "mqtts://127.0.0.1:${mtls.port}", tls: ${tls({ ca: pki.ca, cert: pki.client.cert, key: pki.client.key, servername: 'broker.city.example' })} }`);
    expect((await s.raised('TLS_HOSTNAME_MISMATCH')).message).toMatch(/broker\.city\.example/);
  });

  it('plain MQTT to the TLS port, and TLS to a plain port: TLS_PROTOCOL_MISMATCH both ways', async () => {
    const plainToTls = box(`{ url: "mqtt://127.0.0.1:${mtls.port}" }`);
    expect((await plainToTls.raised('TLS_PROTOCOL_MISMATCH')).message).toMatch(/port speaks TLS but uplink.url is plain MQTT/);
    const plain = await Mosquitto.start();
    try {
      const tlsToPlain = box(`{ url: "mqtts://127.0.0.1:${plain.port}", tls: ${tls({ ca: pki.ca })} }`);
      expect((await tlsToPlain.raised('TLS_PROTOCOL_MISMATCH')).message).toMatch(/does not speak TLS/);
      await tlsToPlain.stop();
    } finally {
      await plain.stop();
    }
  });

  it("the broker's certificate expired: TLS_CERT_EXPIRED; cleared once the broker has a valid one again", async () => {
    const broker = await Mosquitto.startWith(() => tlsListener(pki, pki.serverExpired, { requireCertificate: true }));
    try {
      const s = box(`{ url: "mqtts://localhost:${broker.port}", tls: ${tls({ ca: pki.ca, cert: pki.client.cert, key: pki.client.key })} }`);
      expect((await s.raised('TLS_CERT_EXPIRED')).message).toMatch(/broker's certificate has expired/);
      // the operator renews the broker certificate and restarts it on the same port
      await broker.kill();
      const conf = join(broker.dir, 'mosquitto.conf');
      writeFileSync(conf, readPem(conf).replace(pki.serverExpired.cert, pki.server.cert).replace(pki.serverExpired.key, pki.server.key));
      await broker.start();
      await waitUntil('connected after renewal', () => s.session.stats().connected, 15_000);
      await waitUntil('fault cleared', () => s.faults.some((f) => f.op === 'clear' && f.code === 'TLS_CERT_EXPIRED'));
      await s.stop();
    } finally {
      await broker.stop();
    }
  });
});

const readPem = (path: string): string => readFileSync(path, 'utf8');
