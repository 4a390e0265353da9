import { describe, expect, it } from 'vitest';
import { formatMessage } from '../../tools/commands/tail.js';

describe('edgefw tail: aggregates from the signal pipeline', () => {
  it('prints the window and count an aggregate stands for', () => {
    const payload = JSON.stringify({
      v: 1,
      box: 'k1',
      boot: 3,
      samples: [
        {
          dev: 'env',
          seq: 9,
          kind: 'aggregate',
          t: Date.UTC(2026, 10, 28, 12, 1),
          tq: 'system',
          v: { temperature: 21.5, temperature_min: 21.1, temperature_max: 22 },
          u: { temperature: '°C', temperature_min: '°C', temperature_max: '°C' },
          w: { start: Date.UTC(2026, 10, 28, 12, 0), end: Date.UTC(2026, 10, 28, 12, 1), n: 30 },
        },
      ],
    });
    expect(formatMessage('edgefw/k1/telemetry', payload)).toBe(
      '2026-11-28T12:01:00.000Z k1 env #9 temperature=21.5 °C temperature_min=21.1 °C temperature_max=22 °C [window 2026-11-28T12:00:00.000Z … 2026-11-28T12:01:00.000Z, n=30]',
    );
  });
});
