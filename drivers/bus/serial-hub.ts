import type { SerialSimDevice } from '../sim/serial-device.js';
import type { SimulatedSerialPorts } from '../sim/serial-mock.js';
import type { SerialLink, SerialPortSpec } from './serial.js';
import { openRealSerialLink } from './serial-real.js';

/**
 * The serial half of the runtime's BusProvider (drivers/types.ts): one link per port path.
 * Real ports go through the native binding; a device with `simulated: true` gets its
 * simulator behind serialport's mock binding, in-process, so the demo needs neither hardware
 * nor socat. The simulated ports come from the simulator layer (drivers/sim/serial-mock.ts),
 * which the composition root loads only when a profile simulates a serial part; a hub without
 * them opens real ports only. The composition root owns one hub and closes it on shutdown.
 *
 *   const hub = new SerialHub(simulatedPorts);
 *   hub.simulate(path, deviceId, () => simulator);      // before the driver asks for the port
 *   buses.serial = (spec, simulated) => hub.link(spec, simulated);
 */
export class SerialHub {
  private readonly links = new Map<string, { link: SerialLink; spec: SerialPortSpec }>();
  /** "path owner" of every device whose simulator is on a simulated line */
  private readonly simulatedOwners = new Set<string>();

  constructor(
    readonly simulated?: SimulatedSerialPorts,
    private readonly real: (spec: SerialPortSpec) => SerialLink = openRealSerialLink,
  ) {}

  private ports(what: string): SimulatedSerialPorts {
    if (!this.simulated) throw new Error(`${what}: this runtime has no simulated serial ports (the simulator layer was not loaded)`);
    return this.simulated;
  }

  /**
   * Put device `owner`'s simulator on the simulated line at `path` (once per device): the first
   * simulator owns the line, later ones (RS-485 slaves) are merged into it.
   */
  simulate(path: string, owner: string, sim: () => SerialSimDevice): void {
    const key = `${path} ${owner}`;
    if (this.simulatedOwners.has(key)) return;
    const ports = this.ports(`${path} (device "${owner}")`);
    const existing = ports.simulator(path);
    if (existing) existing.merge(sim());
    else ports.add(path, sim());
    this.simulatedOwners.add(key);
  }

  /**
   * The link at `spec.path`. `simulated`: the line a simulator was put on with simulate() (the
   * device entry says `simulated: true`); asking for one that was never set up is an error
   * naming the device, never a silent real open.
   */
  link(spec: SerialPortSpec, simulated = false): SerialLink {
    if (simulated && !this.simulatedOwners.has(`${spec.path} ${spec.owner}`)) {
      throw new Error(`${spec.path}: device "${spec.owner}" is simulated but no simulator was put on this path`);
    }
    const have = this.links.get(spec.path);
    if (have) {
      if (!(have.spec.shared && spec.shared)) {
        throw new Error(`${spec.path}: already used by device "${have.spec.owner}"; only RS-485 (Modbus) devices can share a port`);
      }
      if (have.spec.baudRate !== spec.baudRate) {
        throw new Error(`${spec.path}: device "${spec.owner}" asks for ${spec.baudRate} Bd, "${have.spec.owner}" for ${have.spec.baudRate} Bd; one line has one speed`);
      }
      return have.link;
    }
    const link = simulated ? this.ports(spec.path).link(spec) : this.real(spec);
    this.links.set(spec.path, { link, spec });
    return link;
  }

  /** The open link at a path, if a device asked for it (diagnostics: bytes, loss). */
  linkAt(path: string): SerialLink | undefined {
    return this.links.get(path)?.link;
  }

  /** The simulator behind a simulated path (tests and the demo's world model drive it). */
  simulator(path: string): SerialSimDevice | undefined {
    return this.simulated?.simulator(path);
  }

  async close(): Promise<void> {
    await Promise.all([...this.links.values()].map((l) => l.link.close()));
    this.links.clear();
  }
}
