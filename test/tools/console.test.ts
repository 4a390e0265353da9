import { describe, expect, it } from 'vitest';
import type { DeviceStatus } from '../../firmware/device/running-device.js';
import type { RuntimeStatus } from '../../firmware/runtime.js';
import { LiveConsole } from '../../tools/console.js';

const device = (over: Partial<DeviceStatus>): DeviceStatus => ({
  id: 'env',
  type: 'bme280',
  state: 'ok',
  reads: 0,
  errors: 0,
  consecutiveErrors: 0,
  lastError: undefined,
  lastValues: [],
  lastSampleMono: undefined,
  identity: {},
  nextProbeInMs: undefined,
  ...over,
});
const status = (devices: DeviceStatus[]): RuntimeStatus => ({
  box: 'kiosk-1',
  boot: 3,
  devices,
  uplink: { connected: true, received: 0, acked: 5, pending: 0, dropped: 0, messagesInFlight: 0, connects: 1, lastError: undefined },
});

describe('the demo console', () => {
  it('says what a device without values is doing instead of "— []"', () => {
    const out: string[] = [];
    const c = new LiveConsole({ tty: false, write: (t) => out.push(t) });
    c.print(
      status([
        device({ id: 'gps', state: 'probing', nextProbeInMs: 2400 }),
        device({ id: 'airq', state: 'probing', lastError: { code: 'I2C_NACK', message: 'no answer at 0x62' } }),
        device({ id: 'dust', state: 'ok' }),
        device({ id: 'door', state: 'failed', lastError: { code: 'GPIO_UNAVAILABLE', message: 'line 5 busy' } }),
      ]),
    );
    const text = out.join('');
    expect(text).toContain('gps            probing    starting: first probe in 3 s');
    expect(text).toContain('airq           probing    probing: I2C_NACK (no answer at 0x62)');
    expect(text).toContain('dust           ok         waiting for the first reading');
    expect(text).toContain('door           failed     line 5 busy  [GPIO_UNAVAILABLE]');
    expect(text).not.toContain('[]');
    expect(text).not.toContain('\x1b[');
  });

  it('shows raw readings the pipeline still holds back, marked ~, next to published values', () => {
    const out: string[] = [];
    const c = new LiveConsole({ tty: false, write: (t) => out.push(t) });
    c.setUnits('env', [
      { name: 'temperature', unit: '°C' },
      { name: 'humidity', unit: '%RH' },
    ]);
    c.sample({ device: 'env', kind: 'sample', monoMs: 1, wallMs: 1, timeSource: 'assumed', values: [{ channel: 'humidity', value: 44.1, unit: '%RH' }] });
    c.print(status([device({ lastValues: [{ channel: 'temperature', value: 21.456 }, { channel: 'humidity', value: 44.3 }] })]));
    const text = out.join('');
    expect(text).toContain('env            ok         humidity 44.10 %RH · temperature ~21.46 °C');
    expect(text).toContain('~ latest raw reading, not yet published');
  });

  it('on a terminal redraws the table in place and keeps log lines above it; piped, it appends', () => {
    const out: string[] = [];
    const c = new LiveConsole({ tty: true, write: (t) => out.push(t), columns: () => 60 });
    const s = status([device({ lastValues: [{ channel: 'temperature', value: 21 }] }), device({ id: 'light' })]);
    c.print(s);
    // header, two devices, the ~ legend: four lines, cut to the terminal's width
    expect(out[0]?.split('\n').filter(Boolean)).toHaveLength(4);
    expect(out[0]?.split('\n').every((l) => l.length <= 59)).toBe(true);
    c.log('INFO device ready\n');
    expect(out[1]?.startsWith('\x1b[4F\x1b[J' + 'INFO device ready\n── box kiosk-1')).toBe(true);
    c.print(s);
    expect(out[2]?.startsWith('\x1b[4F\x1b[J── box kiosk-1')).toBe(true);

    const piped: string[] = [];
    const p = new LiveConsole({ tty: false, write: (t) => piped.push(t) });
    p.print(s);
    p.log('INFO x\n');
    p.print(s);
    expect(piped.join('')).not.toContain('\x1b[');
    expect(piped).toHaveLength(3);
  });
});
