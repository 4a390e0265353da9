import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../drivers/bus/clock.js';
import { type FaultEvent, FaultRegistry } from '../../firmware/diagnostics/registry.js';

function rig(): { clock: ManualClock; reg: FaultRegistry; events: FaultEvent[] } {
  const clock = new ManualClock();
  const reg = new FaultRegistry(clock);
  const events: FaultEvent[] = [];
  reg.onEvent((e) => events.push(e));
  return { clock, reg, events };
}
const transitions = (ev: FaultEvent[]): string[] => ev.map((e) => `${e.transition} ${e.fault.code}@${e.fault.subject ?? ''}`);

describe('fault registry lifecycle', () => {
  it('raises on the first occurrence by default, counts repeats without new events, keeps first and last seen', () => {
    const { clock, reg, events } = rig();
    reg.raise({ code: 'I2C_NACK', subject: 'env', message: 'no ack' });
    const t0 = clock.wallMs();
    clock.advance(5000);
    reg.raise({ code: 'I2C_NACK', subject: 'env', message: 'no ack again' });
    expect(transitions(events)).toEqual(['raised I2C_NACK@env']);
    const [f] = reg.active();
    expect(f).toMatchObject({ code: 'I2C_NACK', subject: 'env', count: 2, firstSeenMs: t0, lastSeenMs: t0 + 5000, message: 'no ack again', severity: 'error' });
    expect(f?.remedy).toContain('edgefw scan i2c');
    reg.clear('I2C_NACK', 'env');
    expect(transitions(events)).toEqual(['raised I2C_NACK@env', 'cleared I2C_NACK@env']);
    expect(reg.active()).toEqual([]);
  });

  it('keeps faults of different subjects apart', () => {
    const { reg } = rig();
    reg.raise({ code: 'I2C_NACK', subject: 'a', message: 'x' });
    reg.raise({ code: 'I2C_NACK', subject: 'b', message: 'x' });
    reg.clear('I2C_NACK', 'a');
    expect(reg.active().map((f) => f.subject)).toEqual(['b']);
  });

  it('debounces: CPU_HOT (raiseAfter 2) needs two occurrences in a row; a good observation between resets the count', () => {
    const { reg, events } = rig();
    reg.raise({ code: 'CPU_HOT', subject: 'cpu', message: '82 °C' });
    expect(reg.isActive('CPU_HOT', 'cpu')).toBe(false);
    reg.clear('CPU_HOT', 'cpu');
    reg.raise({ code: 'CPU_HOT', subject: 'cpu', message: '82 °C' });
    expect(reg.isActive('CPU_HOT', 'cpu')).toBe(false);
    reg.raise({ code: 'CPU_HOT', subject: 'cpu', message: '83 °C' });
    expect(reg.isActive('CPU_HOT', 'cpu')).toBe(true);
    expect(reg.active()[0]?.count).toBe(2);
    expect(transitions(events)).toEqual(['raised CPU_HOT@cpu']);
  });

  it('clears with hysteresis: CPU_HOT (clearAfter 3) needs three good observations in a row', () => {
    const { reg, events } = rig();
    reg.raise({ code: 'CPU_HOT', subject: 'cpu', message: 'hot' });
    reg.raise({ code: 'CPU_HOT', subject: 'cpu', message: 'hot' });
    reg.clear('CPU_HOT', 'cpu');
    reg.clear('CPU_HOT', 'cpu');
    reg.raise({ code: 'CPU_HOT', subject: 'cpu', message: 'hot again' });
    reg.clear('CPU_HOT', 'cpu');
    reg.clear('CPU_HOT', 'cpu');
    expect(reg.isActive('CPU_HOT', 'cpu')).toBe(true);
    reg.clear('CPU_HOT', 'cpu');
    expect(reg.isActive('CPU_HOT', 'cpu')).toBe(false);
    expect(transitions(events)).toEqual(['raised CPU_HOT@cpu', 'cleared CPU_HOT@cpu']);
  });

  it('latches WATCHDOG_RESTART until acknowledged, and re-raises when it comes back before the ack', () => {
    const { reg, events } = rig();
    reg.raise({ code: 'WATCHDOG_RESTART', subject: 'runtime', message: 'previous run ended by the watchdog' });
    reg.clear('WATCHDOG_RESTART', 'runtime');
    expect(reg.active()[0]).toMatchObject({ code: 'WATCHDOG_RESTART', returnedToNormal: true, acknowledged: false });
    reg.raise({ code: 'WATCHDOG_RESTART', subject: 'runtime', message: 'again' });
    expect(reg.active()[0]).toMatchObject({ returnedToNormal: false, count: 2 });
    reg.clear('WATCHDOG_RESTART', 'runtime');
    expect(reg.acknowledge('WATCHDOG_RESTART')).toBe(1);
    expect(reg.active()).toEqual([]);
    expect(transitions(events)).toEqual([
      'raised WATCHDOG_RESTART@runtime',
      'returned WATCHDOG_RESTART@runtime',
      'raised WATCHDOG_RESTART@runtime',
      'returned WATCHDOG_RESTART@runtime',
      'cleared WATCHDOG_RESTART@runtime',
    ]);
  });

  it('an acknowledged latched fault clears as soon as its condition goes; ack of nothing matches nothing', () => {
    const { reg, events } = rig();
    expect(reg.acknowledge('WATCHDOG_RESTART')).toBe(0);
    reg.raise({ code: 'WATCHDOG_RESTART', subject: 'runtime', message: 'x' });
    expect(reg.acknowledge(undefined, 'runtime')).toBe(1);
    expect(reg.active()[0]?.acknowledged).toBe(true);
    reg.clear('WATCHDOG_RESTART', 'runtime');
    expect(reg.active()).toEqual([]);
    expect(transitions(events)).toEqual(['raised WATCHDOG_RESTART@runtime', 'acknowledged WATCHDOG_RESTART@runtime', 'cleared WATCHDOG_RESTART@runtime']);
  });

  it('clearSubject drops every fault of a device at once, keeping the codes asked for', () => {
    const { reg } = rig();
    reg.raise({ code: 'I2C_NACK', subject: 'env', message: 'x' });
    reg.raise({ code: 'DEVICE_FAILED', subject: 'env', message: 'x' });
    reg.raise({ code: 'I2C_NACK', subject: 'other', message: 'x' });
    reg.clearSubject('env', ['DEVICE_FAILED']);
    expect(reg.active().map((f) => `${f.code}@${f.subject}`).sort()).toEqual(['DEVICE_FAILED@env', 'I2C_NACK@other']);
  });
});
