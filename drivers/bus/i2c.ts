import type { BusLock } from './lock.js';

/**
 * The narrow I²C seam every I²C driver talks to. Addresses are 7-bit. Each method is one bus
 * transfer; a driver that needs several (write a command, wait, read) wraps them in `lock.run()`
 * so no other device's bytes come between.
 *
 * Errors reject as DeviceError: I2C_NACK (nothing acknowledged the address), I2C_BUS_ERROR
 * (EREMOTEIO/EIO mid-transfer, retryable), I2C_BUS_MISSING (no /dev/i2c-N), DEVICE_TIMEOUT.
 */
export interface I2cBus {
  /** profile name of the bus, e.g. "i2c1" */
  readonly name: string;
  readonly lock: BusLock;
  /** START, address+W, data…, STOP. Used for 16-bit commands (SHT3x, SCD4x). */
  write(address: number, data: Uint8Array): Promise<void>;
  /** START, address+R, `length` bytes, STOP. */
  read(address: number, length: number): Promise<Uint8Array>;
  /** Write the 8-bit register pointer, repeated START, read `length` (≤ 32) bytes. */
  readRegister(address: number, register: number, length: number): Promise<Uint8Array>;
  /** Write the 8-bit register pointer followed by `data` (≤ 32 bytes) in one transfer. */
  writeRegister(address: number, register: number, data: Uint8Array): Promise<void>;
  /** True when something acknowledges `address` (the same test as i2cdetect). */
  probe(address: number): Promise<boolean>;
  /** Rejects with I2C_BUS_MISSING when the adapter does not exist: a missing bus must not look empty. */
  check(): Promise<void>;
  close(): Promise<void>;
}

/** 7-bit addresses a scan may touch: 0x00-0x07 and 0x78-0x7F are reserved by the I²C spec. */
export const SCAN_FIRST = 0x08;
export const SCAN_LAST = 0x77;

export function hex(n: number, width = 2): string {
  return `0x${n.toString(16).padStart(width, '0')}`;
}
