import { z } from 'zod';
import { duration, oneOf } from '../schema-parts.js';
import type { DeviceCommon } from '../types.js';
import { type SerialDeviceOptions, openPort, portSpec, timeoutCovers } from './port.js';

export { type SerialDeviceOptions, openPort, portSpec, timeoutCovers };

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
