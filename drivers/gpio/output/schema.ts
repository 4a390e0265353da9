import { z } from 'zod';
import { duration } from '../../schema-parts.js';
import type { DeviceCommon } from '../../types.js';
import { bcmLine } from '../input/schema.js';

export const OUTPUT_KINDS = ['relay', 'backlight'] as const;
export type OutputKind = (typeof OUTPUT_KINDS)[number];

/** Profile keys of a `gpio-output` entry. */
export const gpioOutputOptions = {
  type: z.literal('gpio-output'),
  bus: z.string().meta({ description: 'name of a GPIO controller under buses.gpio' }),
  line: bcmLine,
  kind: z.enum(OUTPUT_KINDS).meta({ description: 'relay (screen, fan, heater) or backlight (on/off; dimming goes through a Firmata PWM pin)' }),
  activeLow: z.boolean().default(false).meta({ description: 'true for relay boards whose input energises the coil when pulled low' }),
  safe: z.enum(['off', 'on']).default('off').meta({ description: 'state driven at start, at shutdown and at the first start after a crash' }),
  maxOn: duration('maxOn', { min: 1000, max: 7 * 86_400_000 }).optional().meta({ description: 'switch off after being on this long (checked on each read, so within one interval)' }),
};

export interface GpioOutputOptions extends DeviceCommon {
  readonly type: 'gpio-output';
  readonly bus: string;
  readonly line: number;
  readonly kind: OutputKind;
  readonly activeLow: boolean;
  readonly safe: 'off' | 'on';
  readonly maxOn?: number;
}
