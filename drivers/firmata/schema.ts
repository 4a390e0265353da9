import { z } from 'zod';
import { duration } from '../schema-parts.js';
import type { DeviceCommon } from '../types.js';

const channelName = z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, { error: (iss) => `${JSON.stringify(iss.input)} is not a channel name (lower-case letters, digits, _)` });

/** "A0".."A15" or the analog channel number. */
const analogPin = z
  .union([z.number().int().min(0).max(15), z.string().regex(/^A(1[0-5]|[0-9])$/, { error: (iss) => `${JSON.stringify(iss.input)} is not an analog pin (A0..A15)` })])
  .transform((v) => (typeof v === 'number' ? v : Number(v.slice(1))))
  .meta({ description: 'analog input: "A0".."A15" (on an Uno A0 is pin 14)' });

/** Digital pin number as printed on the board (2..13 on an Uno; 0/1 are the USB serial link). */
const digitalPin = z
  .number()
  .int()
  .refine((n) => n >= 2 && n <= 69, { error: (iss) => `pin ${String(iss.input)} is not usable: 0 and 1 carry the USB serial link, boards have pins 2..69` })
  .meta({ description: 'digital pin number as printed on the board (0 and 1 carry the USB serial link)' });

const pair = z.tuple([z.number(), z.number()]);

export const analogInput = z
  .strictObject({
    name: channelName,
    pin: analogPin,
    unit: z.string().min(1).max(16).default('V'),
    volts: pair.optional().meta({ description: 'input span in volts, e.g. [1, 5] for 4–20 mA through 250 Ω; default [0, vref]' }),
    range: pair.optional().meta({ description: 'engineering values at the two ends of `volts`, e.g. [0, 100]; default: the volts themselves' }),
  })
  .refine((a) => a.volts === undefined || a.volts[0] !== a.volts[1], { error: 'volts: the two ends must differ' });

export const digitalInput = z.strictObject({
  name: channelName,
  pin: digitalPin,
  pull: z.boolean().default(false).meta({ description: 'enable the MCU pull-up (INPUT_PULLUP): a contact to GND reads 0 when closed' }),
});

export const boardOutput = z.strictObject({
  name: channelName,
  pin: digitalPin,
  kind: z.enum(['relay', 'backlight']).default('relay'),
  pwm: z.boolean().default(false).meta({ description: 'dim through PWM (pins 3, 5, 6, 9, 10, 11 on an Uno); values 0..1' }),
  safe: z.union([z.enum(['off', 'on']), z.number().min(0).max(1)]).default('off').meta({ description: 'value driven after every handshake and at shutdown' }),
});

/** Profile keys of a `firmata` entry: one microcontroller board on a serial port. */
export const firmataOptions = {
  type: z.literal('firmata'),
  path: z.string().min(1).meta({ description: 'serial port, preferably /dev/serial/by-id/…; any name when simulated' }),
  baudRate: z.number().int().positive().default(57600).meta({ description: 'StandardFirmata uses 57600' }),
  simulated: z.boolean().default(false).meta({ description: 'talk to the built-in StandardFirmata simulator instead of a board' }),
  vref: z.number().positive().max(5.5).default(5).meta({ description: 'ADC reference voltage: 5 V on an Uno/Nano, 3.3 V on 3.3 V boards' }),
  queryAfter: duration('queryAfter', { min: 10, max: 10_000 }).default(2000).meta({ description: 'ask for the firmware version if the board has not announced itself by then' }),
  staleAfter: duration('staleAfter', { min: 100, max: 600_000 }).default(3000).meta({ description: 'no analog report for this long means the board stopped answering' }),
  analog: z.array(analogInput).default([]),
  digital: z.array(digitalInput).default([]),
  outputs: z.array(boardOutput).default([]),
};

export type AnalogInput = z.infer<typeof analogInput>;
export type DigitalInput = z.infer<typeof digitalInput>;
export type BoardOutput = z.infer<typeof boardOutput>;

export interface FirmataOptions extends DeviceCommon {
  readonly type: 'firmata';
  readonly path: string;
  readonly baudRate: number;
  readonly simulated: boolean;
  readonly vref: number;
  readonly queryAfter: number;
  readonly staleAfter: number;
  readonly analog: readonly AnalogInput[];
  readonly digital: readonly DigitalInput[];
  readonly outputs: readonly BoardOutput[];
}

export { scaleAnalog } from './values.js';
