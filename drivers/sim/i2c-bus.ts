import { setTimeout as sleep } from 'node:timers/promises';
import { type I2cBus, hex } from '../bus/i2c.js';
import { BusLock } from '../bus/lock.js';
import { DeviceError } from '../errors.js';
import { type I2cSimDevice, SimRefusal } from './i2c-target.js';

const onWrite = (d: I2cSimDevice, bytes: Uint8Array): void => d.onWrite(bytes);
const onRead = (d: I2cSimDevice, length: number): Uint8Array => d.faults.mangle(d.onRead(length));
/** pointer write then read, `packed` = register | length << 8 */
const onRegisterRead = (d: I2cSimDevice, packed: number): Uint8Array => {
  d.onWrite(Uint8Array.of(packed & 0xff));
  return d.faults.mangle(d.onRead(packed >> 8));
};

/**
 * Simulated I²C adapter: routes each transfer by address to a register-level simulator.
 * Behaves like i2c-dev: an address nobody answers gives I2C_NACK, a register read is a write of
 * the pointer followed by a read, and block transfers are limited to 32 bytes (SMBus).
 */
export class SimulatedI2cBus implements I2cBus {
  readonly lock = new BusLock();
  private readonly targets = new Map<number, I2cSimDevice>();
  /** transfers seen, for tests that check a driver's traffic */
  transfers = 0;
  /** simulate a missing adapter (/dev/i2c-N absent) */
  missing = false;
  /** two transfers overlapping in time: the per-bus lock was bypassed */
  overlaps = 0;
  private inFlight = 0;

  constructor(readonly name: string) {}

  attach(address: number, device: I2cSimDevice): void {
    if (this.targets.has(address)) throw new Error(`${this.name}: address ${hex(address)} already has a simulator`);
    this.targets.set(address, device);
  }

  detach(address: number): void {
    this.targets.delete(address);
  }

  device(address: number): I2cSimDevice | undefined {
    return this.targets.get(address);
  }

  addresses(): number[] {
    return [...this.targets.keys()].sort((a, b) => a - b);
  }

  /**
   * One transfer: the address is acknowledged or not, injected faults apply, then the target
   * sees the bytes. `arg` is handed to `fn` so the callers need no closure per transfer; the
   * "bus addr" text of an error is only built when there is an error.
   */
  private async transfer<A, T>(address: number, op: 'read' | 'write', fn: (d: I2cSimDevice, arg: A) => T, arg: A): Promise<T> {
    if (this.missing) {
      throw new DeviceError('I2C_BUS_MISSING', `${this.name}: adapter missing (ENOENT)`, { details: { bus: this.name } });
    }
    this.transfers++;
    this.inFlight++;
    if (this.inFlight > 1) this.overlaps++;
    try {
      const dev = this.targets.get(address);
      if (!dev) {
        throw new DeviceError('I2C_NACK', `${this.where(address)}: no acknowledge (ENXIO)`, {
          retryable: true,
          details: { bus: this.name, address, errno: 'ENXIO' },
        });
      }
      if (dev.faults.slowMs > 0) await sleep(dev.faults.slowMs);
      else await undefined;
      if (dev.faults.armed) dev.faults.check(op, this.where(address));
      try {
        return fn(dev, arg);
      } catch (e) {
        if (e instanceof SimRefusal) {
          throw new DeviceError('I2C_NACK', `${this.where(address)}: ${e.message}`, {
            retryable: false,
            details: { bus: this.name, address, refused: true },
          });
        }
        throw e;
      }
    } finally {
      this.inFlight--;
    }
  }

  private where(address: number): string {
    return `${this.name} ${hex(address)}`;
  }

  write(address: number, data: Uint8Array): Promise<void> {
    // the bytes as they were when the driver called: it may reuse its buffer meanwhile
    return this.transfer(address, 'write', onWrite, Uint8Array.from(data));
  }

  read(address: number, length: number): Promise<Uint8Array> {
    return this.transfer(address, 'read', onRead, length);
  }

  readRegister(address: number, register: number, length: number): Promise<Uint8Array> {
    if (length > 32) return Promise.reject(new RangeError(`SMBus block read of ${length} bytes (max 32)`));
    // one combined transfer on the wire (write pointer, repeated start, read)
    return this.transfer(address, 'read', onRegisterRead, register | (length << 8));
  }

  writeRegister(address: number, register: number, data: Uint8Array): Promise<void> {
    if (data.length > 32) throw new RangeError(`SMBus block write of ${data.length} bytes (max 32)`);
    const bytes = new Uint8Array(data.length + 1);
    bytes[0] = register;
    bytes.set(data, 1);
    return this.transfer(address, 'write', onWrite, bytes);
  }

  async probe(address: number): Promise<boolean> {
    if (this.missing) return this.check().then(() => false);
    const dev = this.targets.get(address);
    return dev !== undefined && !dev.faults.unplugged;
  }

  async check(): Promise<void> {
    if (this.missing) {
      throw new DeviceError('I2C_BUS_MISSING', `${this.name}: adapter missing (ENOENT)`, { details: { bus: this.name } });
    }
  }

  async close(): Promise<void> {
    /* nothing held */
  }
}
