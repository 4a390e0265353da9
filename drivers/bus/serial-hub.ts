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
  private readonly links = new Map<string, { link: SerialLink; spec: SerialPortSpec; simulated: boolean }>();

  constructor(
    readonly simulated: SimulatedSerialPorts = new SimulatedSerialPorts(),
    private readonly real: (spec: SerialPortSpec) => SerialLink = openRealSerialLink,
  ) {}

  link(spec: SerialPortSpec, simulate?: () => SerialSimDevice): SerialLink {
    const have = this.links.get(spec.path);
    if (have) {
      if (!(have.spec.shared && spec.shared)) {
        throw new Error(`${spec.path}: already used by device "${have.spec.owner}"; only RS-485 (Modbus) devices can share a port`);
      }
      if (have.spec.baudRate !== spec.baudRate) {
        throw new Error(`${spec.path}: device "${spec.owner}" asks for ${spec.baudRate} Bd, "${have.spec.owner}" for ${have.spec.baudRate} Bd; one line has one speed`);
      }
      // a second simulated slave on the same simulated RS-485 line answers on the same wire
      if (simulate && have.simulated) this.simulated.simulator(spec.path)?.merge(simulate());
      return have.link;
    }
    let link: SerialLink;
    if (simulate) {
      if (!this.simulated.simulator(spec.path)) this.simulated.add(spec.path, simulate());
      link = this.simulated.link(spec);
    } else {
      link = this.real(spec);
    }
    this.links.set(spec.path, { link, spec, simulated: simulate !== undefined });
    return link;
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
