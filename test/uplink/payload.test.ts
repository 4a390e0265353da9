import { describe, expect, it } from 'vitest';
import { encodeTelemetry, encodeTelemetryBodies, toWire } from '../../firmware/uplink/payload.js';

describe('telemetry payload', () => {
  const samples = [0, 1, 2].map((i) =>
    toWire({ device: 'env', kind: 'sample', monoMs: i, wallMs: 1_795_000_000_000 + i, timeSource: i === 0 ? 'none' : 'system', values: [{ channel: 'temperature', value: 21.5 + i, unit: '°C' }, { channel: 'bad', value: Number.NaN, unit: '1' }] }, 40 + i),
  );

  it('assembled from stored sample bodies, is byte for byte the encoded message', () => {
    for (const hist of [false, true]) {
      expect(encodeTelemetryBodies('kiosk "7"', 3, samples.map((s) => JSON.stringify(s)), hist)).toBe(encodeTelemetry('kiosk "7"', 3, samples, hist));
    }
    expect(JSON.parse(encodeTelemetryBodies('k', 3, [], true))).toEqual({ v: 1, box: 'k', boot: 3, hist: true, samples: [] });
  });

  it('carries the time quality and null for a value that is not a number', () => {
    expect(samples[0]).toMatchObject({ dev: 'env', seq: 40, tq: 'none', v: { temperature: 21.5, bad: null }, u: { temperature: '°C' } });
  });
});
