import { describe, expect, it } from 'vitest';
import { SerialHub } from '../../../drivers/bus/serial-hub.js';
import { ManualClock } from '../../../drivers/bus/clock.js';
import { simulatorFor } from '../../../drivers/sim/registry.js';
import { SimulatedSerialPorts } from '../../../drivers/sim/serial-mock.js';
import type { SerialSimDevice } from '../../../drivers/sim/serial-device.js';

const spec = { path: '/dev/serial/by-id/sim-dust', baudRate: 9600, owner: 'dust' };
const dust = { id: 'dust', type: 'pms5003', interval: 1000, timeout: 1000, enabled: true };

describe('SerialHub and the simulator layer', () => {
  it('a simulated device gets the line its simulator was put on', () => {
    const hub = new SerialHub(new SimulatedSerialPorts());
    hub.simulate(spec.path, 'dust', () => simulatorFor(dust, new ManualClock()) as SerialSimDevice);
    const link = hub.link(spec, true);
    expect(hub.linkAt(spec.path)).toBe(link);
    expect(hub.simulator(spec.path)?.part).toMatch(/PMS5003/);
  });

  it('a device that says simulated without a simulator on its path is refused by name, never opened for real', () => {
    const hub = new SerialHub(new SimulatedSerialPorts(), () => {
      throw new Error('a real port was opened');
    });
    expect(() => hub.link(spec, true)).toThrow(/device "dust" is simulated but no simulator was put on this path/);
  });

  it('a hub without the simulator layer (a real box) says so when asked to simulate', () => {
    const hub = new SerialHub();
    expect(() => hub.simulate(spec.path, 'dust', () => simulatorFor(dust, new ManualClock()) as SerialSimDevice)).toThrow(/no simulated serial ports/);
    expect(hub.simulator(spec.path)).toBeUndefined();
  });
});
