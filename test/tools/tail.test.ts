import { describe, expect, it } from 'vitest';
import { formatMessage } from '../../tools/commands/tail.js';

describe('edgefw tail formatting', () => {
  it('prints one line per sample with units, sequence and an unsynced-clock flag', () => {
    const payload = JSON.stringify({
      v: 1, box: 'k1', boot: 3,
      samples: [
        { dev: 'env', seq: 7, kind: 'sample', t: Date.UTC(2026, 10, 28, 12, 0, 0), tq: 'system', v: { temperature: 21.5, humidity: null }, u: { temperature: '°C', humidity: '%RH' } },
        { dev: 'env', seq: 8, kind: 'sample', t: Date.UTC(2026, 10, 28, 12, 0, 1), tq: 'none', v: { temperature: 21.6 }, u: { temperature: '°C' } },
      ],
    });
    expect(formatMessage('edgefw/k1/telemetry', payload)).toBe(
      '2026-11-28T12:00:00.000Z k1 env #7 temperature=21.5 °C humidity=null %RH\n' +
        '2026-11-28T12:00:01.000Z k1 env #8 temperature=21.6 °C (clock unsynced)',
    );
  });

  it('prints status, fault snapshots and fault events with the remedy', () => {
    expect(formatMessage('edgefw/k1/status', '{"box":"k1","state":"offline","boot":4,"fw":"0.1.0","reason":"connection lost"}')).toBe(
      'STATUS k1 offline boot=4 fw=0.1.0 (connection lost)',
    );
    expect(formatMessage('edgefw/k1/faults', '{"box":"k1","active":[{"code":"I2C_NACK","subject":"env","severity":"error"}]}')).toBe('FAULTS k1 ERROR I2C_NACK@env');
    expect(formatMessage('edgefw/k1/faults', '{"box":"k1","active":[]}')).toBe('FAULTS k1 none active');
    const ev = formatMessage('edgefw/k1/faults/events', JSON.stringify({ transition: 'raised', fault: { code: 'I2C_NACK', subject: 'env', message: 'no ack', remedy: 'reseat the cable' } }));
    expect(ev).toBe('FAULT RAISED I2C_NACK@env: no ack\n    remedy: reseat the cable');
  });

  it('does not crash on a payload that is not JSON', () => {
    expect(formatMessage('edgefw/k1/telemetry', '\u0000garbage')).toBe('edgefw/k1/telemetry  (not JSON, 8 bytes)');
  });
});
