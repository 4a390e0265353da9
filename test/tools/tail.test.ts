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

  it('prints health reports, diag replies and the commissioning record in one line', () => {
    const health = JSON.stringify({ box: 'k1', cpu: { celsius: 48.312 }, memory: { availableMb: 2868.4 }, disk: { freeMb: 11510.2 }, loopDelay: { maxMs: 3.1 }, rssMb: 61.2, uplink: { pending: 0, dropped: 0 } });
    expect(formatMessage('edgefw/k1/health', health)).toBe('HEALTH k1 cpu 48.3 °C, mem 2868 MiB free, disk 11510 MiB free, loop max 3.1 ms, rss 61.2 MiB, waiting 0 dropped 0');
    const report = { verdict: 'FAIL', profileHash: 'ab12', checks: [{ verdict: 'PASS', name: 'env' }, { verdict: 'FAIL', name: 'outdoor' }] };
    expect(formatMessage('edgefw/k1/cmd/diag/reply', JSON.stringify({ box: 'k1', cmd: 'diag', ok: true, result: { report } }))).toBe('DIAG k1 FAIL profile ab12: FAIL outdoor');
    expect(formatMessage('edgefw/k1/cmd/ack/reply', JSON.stringify({ box: 'k1', cmd: 'ack', ok: false, reason: 'replayed', error: 'nonce x was already used' }))).toBe('REPLY k1 ack REFUSED replayed: nonce x was already used');
    expect(formatMessage('edgefw/k1/commands/events', JSON.stringify({ box: 'k1', cmd: '*', outcome: 'refused', reason: 'rate-limited', count: 120 }))).toBe('COMMAND k1 * REFUSED rate-limited ×120');
    expect(formatMessage('edgefw/k1/commissioning', JSON.stringify({ box: 'k1', ...report, verdict: 'PASS', checks: [] }))).toBe('COMMISSIONED k1 PASS profile ab12');
  });

  it('does not crash on a payload that is not JSON', () => {
    expect(formatMessage('edgefw/k1/telemetry', '\u0000garbage')).toBe('edgefw/k1/telemetry  (not JSON, 8 bytes)');
  });
});
