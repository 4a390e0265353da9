import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../config/load.js';
import { planReload } from '../../firmware/reload.js';

const base = {
  box: { id: 'kiosk-7' },
  uplink: { url: 'mqtt://127.0.0.1:1883' },
  buses: { i2c: [{ name: 'i2c1', simulated: true }] },
  devices: [
    { id: 'env', type: 'bme280', bus: 'i2c1', address: 0x76, interval: '2s', channels: { temperature: { report: { period: '60s' } } } },
    { id: 'light', type: 'bh1750', bus: 'i2c1', address: 0x23, interval: '2s' },
  ],
};
const profile = (patch: (p: typeof base) => unknown = (p) => p) => parseProfile(patch(structuredClone(base)));

describe('profile reload plan (SIGHUP)', () => {
  it('an identical profile changes nothing', () => {
    const plan = planReload(profile(), profile());
    expect(plan.live).toEqual([]);
    expect(plan.restart).toEqual([]);
  });

  it('channels, interval, timeout and name of an existing device apply live', () => {
    const next = profile((p) => {
      p.devices[0] = { ...p.devices[0]!, interval: '5s', channels: { temperature: { checks: { range: { max: 60 } } } } } as never;
      (p.devices[1] as Record<string, unknown>).name = 'behind the top window';
      return p;
    });
    const plan = planReload(profile(), next);
    expect(plan.restart).toEqual([]);
    expect(plan.live.map((c) => [c.id, c.channels, c.timing])).toEqual([
      ['env', true, true],
      ['light', false, false],
    ]);
    expect(plan.running.devices[0]?.interval).toBe(5000);
    expect(plan.running.devices[0]?.channels).toEqual(next.devices[0]?.channels);
    expect(plan.running.devices[1]?.name).toBe('behind the top window');
  });

  it('driver options, buses, uplink and added or removed devices wait for a restart, named by path', () => {
    const next = profile((p) => {
      (p.devices[0] as Record<string, unknown>).address = 0x77;
      p.devices.splice(1, 1);
      p.devices.push({ id: 'climate', type: 'sht3x', bus: 'i2c1', address: 0x44, interval: '5s' } as never);
      (p.uplink as Record<string, unknown>).keepalive = '20s';
      return p;
    });
    const plan = planReload(profile(), next);
    expect(plan.restart).toEqual(['uplink.keepalive', 'devices[0].address (env)', 'devices[1] (light) removed', 'devices[1] (climate) added']);
    // what runs is still the old hardware: env at 0x76, light present, no climate
    expect(plan.running.devices.map((d) => d.id)).toEqual(['env', 'light']);
    expect((plan.running.devices[0] as { address?: number }).address).toBe(0x76);
    expect(plan.running.uplink.keepalive).toBe(30_000);
  });

  it('a device whose driver options changed still takes its new channel rules live', () => {
    const next = profile((p) => {
      p.devices[0] = { ...p.devices[0]!, address: 0x77, channels: {} } as never;
      return p;
    });
    const plan = planReload(profile(), next);
    expect(plan.restart).toEqual(['devices[0].address (env)']);
    expect(plan.live.map((c) => c.id)).toEqual(['env']);
    expect(plan.running.devices[0]?.channels).toEqual({});
  });
});
