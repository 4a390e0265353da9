import { z } from 'zod';
import { duration, oneOf } from '../schema-parts.js';
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

export const BAUD_RATES = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200] as const;

/**
 * A device path: an absolute path on Linux ("/dev/…", or a pty link) (COMn accepted for a Windows laptop running the demo).
 * Recommend /dev/serial/by-id/usb-FTDI_…-if00-port0: /dev/ttyUSB0 can become ttyUSB1 after a
 * replug or a reboot with two adapters.
 */
export const portPath = z
  .string()
  .refine((v) => /^\/\S+$/.test(v) || /^COM\d+$/i.test(v), {
    error: (iss) => `${JSON.stringify(iss.input)} is not a serial device path (write /dev/serial/by-id/… or /dev/ttyUSB0)`,
  })
  .meta({ description: 'serial device path, preferably /dev/serial/by-id/…' });

/** The common serial keys with a part's defaults: its factory baud rate and how stale is too stale. */
export function serialOptions(part: string, d: { baud: number; bauds?: readonly number[]; staleAfter?: number }): z.ZodRawShape {
  const shape: z.ZodRawShape = {
    port: portPath,
    baud: oneOf(d.bauds ?? BAUD_RATES)
      .default(d.baud)
      .meta({ description: `line speed in bit/s; the ${part} uses ${d.baud}` }),
    simulated: z.boolean().default(false).meta({ description: `simulate the ${part} in-process (no port is opened)` }),
  };
  // parts that only answer requests have no staleness: their silence is a request timeout
  if (d.staleAfter === undefined) return shape;
  return {
    ...shape,
    staleAfter: duration('staleAfter', { min: 100, max: 86_400_000 })
      .default(d.staleAfter)
      .meta({ description: 'no verified frame for this long raises SERIAL_NO_DATA' }),
  };
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
