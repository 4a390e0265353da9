import { z } from 'zod';
import { duration } from '../../schema-parts.js';
import { type SerialDeviceOptions, serialOptions } from '../options.js';
import { type ByteOrder, type RegisterType, registerCount } from './registers.js';

/** One entry of the register map, as in Telegraf's [[inputs.modbus]] holding/input_registers. */
export const registerEntry = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_]*$/, { error: 'a channel name: lower-case letters, digits and _' }),
  function: z
    .union([z.literal(3), z.literal(4)], { error: (iss) => `${JSON.stringify(iss.input)} is not a register read function (3 = holding, 4 = input)` })
    .default(3),
  address: z.number().int().min(0).max(65535).meta({ description: 'register address as sent on the wire (0-based; 40001 in a manual is address 0)' }),
  type: z.enum(['int16', 'uint16', 'int32', 'uint32', 'float32']).default('uint16'),
  order: z.enum(['ABCD', 'CDAB', 'BADC', 'DCBA']).default('ABCD').meta({ description: 'byte order: ABCD big-endian, CDAB word-swapped, BADC byte-swapped, DCBA little-endian' }),
  scale: z.number().finite().default(1).meta({ description: 'value = raw × scale + offset' }),
  offset: z.number().finite().default(0),
  unit: z.string().default(''),
  min: z.number().finite().optional().meta({ description: 'lowest physically possible value (for checks and the simulator)' }),
  max: z.number().finite().optional(),
});

export type RegisterEntry = {
  readonly name: string;
  readonly function: 3 | 4;
  readonly address: number;
  readonly type: RegisterType;
  readonly order: ByteOrder;
  readonly scale: number;
  readonly offset: number;
  readonly unit: string;
  readonly min?: number;
  readonly max?: number;
};

/** Profile keys of a Modbus RTU device (one slave unit on an RS-485 line). */
export const modbusRtuOptions = {
  type: z.literal('modbus-rtu'),
  ...serialOptions('meter', { baud: 9600 }),
  parity: z.enum(['none', 'even', 'odd']).default('none').meta({ description: 'the Modbus default is even; most meters ship with none' }),
  stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
  unit: z.number().int().min(1).max(247).default(1).meta({ description: 'slave address (1–247)' }),
  registers: z
    .array(registerEntry)
    .min(1, { error: 'a Modbus device needs at least one register' })
    .superRefine((regs, ctx) => {
      const seen = new Set<string>();
      regs.forEach((r, i) => {
        if (seen.has(r.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `register name "${r.name}" is used twice` });
        seen.add(r.name);
        if (r.address + registerCount(r.type as RegisterType) - 1 > 65535) {
          ctx.addIssue({ code: 'custom', path: [i, 'address'], message: `a ${r.type} at ${r.address} runs past register 65535` });
        }
        if (r.min !== undefined && r.max !== undefined && r.min >= r.max) {
          ctx.addIssue({ code: 'custom', path: [i, 'max'], message: `max ${r.max} is not above min ${r.min}` });
        }
      });
    }),
  responseTimeout: duration('responseTimeout', { min: 20, max: 10_000 }).default(300).meta({ description: 'wait for each answer, ms' }),
  retries: z.number().int().min(0).max(5).default(2),
};

export interface ModbusRtuOptions extends Omit<SerialDeviceOptions, 'staleAfter'> {
  readonly type: 'modbus-rtu';
  readonly parity: 'none' | 'even' | 'odd';
  readonly stopBits: 1 | 2;
  readonly unit: number;
  readonly registers: readonly RegisterEntry[];
  readonly responseTimeout: number;
  readonly retries: number;
}
