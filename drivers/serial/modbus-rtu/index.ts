import type { DeviceDefinition } from '../../types.js';
import { modbusRtuPart } from './driver.js';
import { type ModbusRtuOptions, modbusRtuOptions } from './schema.js';

export * from './driver.js';

/** The whole definition: the part (driver.ts, what the sampling thread loads) and its profile options (schema.ts). */
export const modbusRtu: DeviceDefinition<ModbusRtuOptions> = { ...modbusRtuPart, options: modbusRtuOptions };
