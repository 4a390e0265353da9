import type { SerialLink, SerialPortSpec } from '../bus/serial.js';
import type { DeviceCommon, DeviceContext } from '../types.js';

/** Profile keys every serial device has. */
export interface SerialDeviceOptions extends DeviceCommon {
  /** device path; /dev/serial/by-id/… survives USB re-enumeration */
  readonly port: string;
  /** line speed, bit/s (8 data bits, no parity, 1 stop bit unless the part says otherwise) */
  readonly baud: number;
  /** run the part's simulator in-process instead of opening a port (demo, laptops) */
  readonly simulated: boolean;
  /** no verified frame for this long raises SERIAL_NO_DATA, ms (streaming parts; request/response parts: Infinity) */
  readonly staleAfter: number;
}

/** The port a device entry asks for. */
export function portSpec(o: Pick<SerialDeviceOptions, 'port' | 'baud' | 'id'>, extra: Partial<SerialPortSpec> = {}): SerialPortSpec {
  return { path: o.port, baudRate: o.baud, owner: o.id, ...extra };
}

/**
 * The link for a device entry, from the runtime's bus provider: its port (`extra` adds line
 * settings such as parity), or the simulated line the composition root set up at that path when
 * the entry is `simulated`.
 */
export function openPort(ctx: DeviceContext, o: Pick<SerialDeviceOptions, 'port' | 'baud' | 'id' | 'simulated'>, extra: Partial<SerialPortSpec> = {}): SerialLink {
  const spec = portSpec(o, extra);
  const serial = ctx.buses.serial;
  if (!serial) throw new Error(`${spec.owner}: this runtime provides no serial ports (BusProvider.serial missing)`);
  return serial.call(ctx.buses, spec, o.simulated);
}

/**
 * The profile check of a request/response part: its device `timeout` must cover the longest a
 * read can take (responseTimeout × attempts × requests), or the runner cuts the retries short.
 */
export function timeoutCovers(o: { readonly timeout: number }, budgetMs: number): { path: string[]; message: string }[] {
  if (budgetMs <= o.timeout) return [];
  return [
    {
      path: ['timeout'],
      message: `${o.timeout} ms is shorter than a read may take with its retries (${budgetMs} ms: responseTimeout × attempts × requests); set timeout to at least ${budgetMs} ms or lower responseTimeout/retries`,
    },
  ];
}
