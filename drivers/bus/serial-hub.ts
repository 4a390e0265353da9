import type { SerialSimDevice } from '../sim/serial-device.js';
import { SimulatedSerialPorts } from '../sim/serial-mock.js';
import type { SerialLink, SerialPortSpec } from './serial.js';
import { openRealSerialLink } from './serial-real.js';

/**
 * The serial half of the runtime's BusProvider (drivers/types.ts): one link per port path.
 * Real ports go through the native binding; a device with `simulated: true` gets its
 * simulator behind serialport's mock binding, in-process, so the demo needs neither hardware
 * nor socat. The composition root owns one hub and closes it on shutdown.
 *
 *   const hub = new SerialHub();
 *   buses.serial = (spec, simulate) => hub.link(spec, simulate);
 */
export class SerialHub {
  private readonly links = new Map<string, { link: SerialLink; spec: SerialPortSpec }>();
  /** "path owner" of every device whose simulator is on a simulated line */
  private readonly simulatedOwners = new Set<string>();

  constructor(
    readonly simulated: SimulatedSerialPorts = new SimulatedSerialPorts(),
    private readonly real: (spec: SerialPortSpec) => SerialLink = openRealSerialLink,
  ) {}

  /**
   * Put device `owner`'s simulator on the simulated line at `path` (once per device): the first
   * simulator owns the line, later ones (RS-485 slaves) are merged into it.
   */
  simulate(path: string, owner: string, sim: () => SerialSimDevice): void {
    const key = `${path} ${owner}`;
    if (this.simulatedOwners.has(key)) return;
    const existing = this.simulated.simulator(path);
    if (existing) existing.merge(sim());
    else this.simulated.add(path, sim());
    this.simulatedOwners.add(key);
  }

  link(spec: SerialPortSpec, simulate?: () => SerialSimDevice): SerialLink {
    if (simulate) this.simulate(spec.path, spec.owner, simulate);
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
    const link = simulate ? this.simulated.link(spec) : this.real(spec);
    this.links.set(spec.path, { link, spec });
    return link;
  }

  /** The open link at a path, if a device asked for it (diagnostics: bytes, loss). */
  linkAt(path: string): SerialLink | undefined {
    return this.links.get(path)?.link;
  }

  /** The simulator behind a simulated path (tests and the demo's world model drive it). */
  simulator(path: string): SerialSimDevice | undefined {
    return this.simulated.simulator(path);
  }

  async close(): Promise<void> {
    await Promise.all([...this.links.values()].map((l) => l.link.close()));
    this.links.clear();
  }
}
