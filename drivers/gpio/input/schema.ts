import { z } from 'zod';
import { HEADER_LINES, type Pull } from '../../bus/gpio.js';
import { duration } from '../../schema-parts.js';
import type { DeviceCommon } from '../../types.js';

export const INPUT_KINDS = ['switch', 'motion', 'button', 'counter'] as const;
export type InputKind = (typeof INPUT_KINDS)[number];

/** A BCM line number on the 40-pin header (GPIO17 is header pin 11). */
export const bcmLine = z
  .number()
  .int()
  .refine((n) => n >= 0 && n < HEADER_LINES, {
    error: (iss) => `GPIO${String(iss.input)} is not a header line: use the BCM number 0..${HEADER_LINES - 1} (GPIO17 is physical pin 11), not the pin or sysfs number`,
  })
  .meta({ description: `BCM number of the header line (GPIO0..${HEADER_LINES - 1}); not the physical pin number, not the sysfs number` });


/** Profile keys of a `gpio-input` entry. */
export const gpioInputOptions = {
  type: z.literal('gpio-input'),
  bus: z.string().meta({ description: 'name of a GPIO controller under buses.gpio' }),
  line: bcmLine,
  kind: z.enum(INPUT_KINDS).meta({ description: 'switch (door/tamper), motion (PIR), button, counter (pulses)' }),
  pull: z.enum(['up', 'down', 'none']).optional().meta({ description: 'input bias; on a Pi set it in config.txt too (gpio=17=ip,pu); default per kind' }),
  activeLow: z.boolean().optional().meta({ description: 'invert the line: 1 means the pin is low; default per kind' }),
  debounce: duration('debounce', { min: 0, max: 10_000 }).optional().meta({ description: 'a level must hold this long to count; default switch 50ms, button 30ms, motion and counter 0' }),
  tamper: z.boolean().default(false).meta({ description: 'switch only: raise TAMPER_OPEN while the switch is open' }),
  longPress: duration('longPress', { min: 50, max: 60_000 }).default(1000).meta({ description: 'button only: held at least this long is a long press' }),
  pulsesPerUnit: z.number().positive().default(1).meta({ description: 'counter only: pulses per unit (YF-S201 flow meter: 450 per litre)' }),
  unit: z.string().min(1).max(16).default('pulses').meta({ description: 'counter only: unit of the total, e.g. "L" or "coins"' }),
};

export interface GpioInputOptions extends DeviceCommon {
  readonly type: 'gpio-input';
  readonly bus: string;
  readonly line: number;
  readonly kind: InputKind;
  readonly pull?: Pull;
  readonly activeLow?: boolean;
  readonly debounce?: number;
  readonly tamper: boolean;
  readonly longPress: number;
  readonly pulsesPerUnit: number;
  readonly unit: string;
}

