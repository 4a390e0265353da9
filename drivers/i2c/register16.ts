/**
 * Parts with 16-bit registers sent MSB first behind an 8-bit pointer (TI ADS1115, INA219):
 * write the pointer, then read or write two bytes. 0x8583 goes on the wire as 0x85, 0x83.
 */
import type { I2cBus } from '../bus/i2c.js';

/** Two bytes MSB first → the word. */
export function be16(bytes: Uint8Array, offset = 0): number {
  return ((bytes[offset] as number) << 8) | (bytes[offset + 1] as number);
}

/** The word → two bytes MSB first. */
export function be16Bytes(word: number): Uint8Array {
  return Uint8Array.of((word >> 8) & 0xff, word & 0xff);
}

export async function readRegister16(bus: I2cBus, address: number, register: number): Promise<number> {
  return be16(await bus.readRegister(address, register, 2));
}

export function writeRegister16(bus: I2cBus, address: number, register: number, word: number): Promise<void> {
  return bus.writeRegister(address, register, be16Bytes(word));
}
