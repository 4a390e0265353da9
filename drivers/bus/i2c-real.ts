import { DeviceError, type DeviceErrorCode } from '../errors.js';
import { type I2cBus, hex } from './i2c.js';
import { BusLock } from './lock.js';

/** The part of i2c-bus's promisified bus we use; tests pass a stand-in with the same shape. */
export interface PromisifiedI2c {
  i2cWrite(address: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number }>;
  i2cRead(address: number, length: number, buffer: Buffer): Promise<{ bytesRead: number; buffer: Buffer }>;
  readI2cBlock(address: number, command: number, length: number, buffer: Buffer): Promise<{ bytesRead: number; buffer: Buffer }>;
  writeI2cBlock(address: number, command: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number }>;
  scan(startAddr: number, endAddr: number): Promise<number[]>;
  i2cFuncs(): Promise<unknown>;
  close(): Promise<void>;
}

const ERRNO_TO_CODE: Readonly<Record<string, { code: DeviceErrorCode; retryable: boolean }>> = {
  ENXIO: { code: 'I2C_NACK', retryable: true },
  EREMOTEIO: { code: 'I2C_BUS_ERROR', retryable: true },
  EIO: { code: 'I2C_BUS_ERROR', retryable: true },
  EAGAIN: { code: 'I2C_BUS_ERROR', retryable: true },
  ETIMEDOUT: { code: 'DEVICE_TIMEOUT', retryable: true },
  ENOENT: { code: 'I2C_BUS_MISSING', retryable: false },
  ENODEV: { code: 'I2C_BUS_MISSING', retryable: false },
};

/** Turn an errno from the kernel's i2c-dev into a typed DeviceError naming bus, address and operation. */
export function translateI2cError(e: unknown, bus: string, op: string, address?: number): DeviceError {
  const errno = (e as { code?: string } | null)?.code ?? '';
  const mapped = ERRNO_TO_CODE[errno] ?? { code: 'I2C_BUS_ERROR' as const, retryable: true };
  const where = address === undefined ? bus : `${bus} ${hex(address)}`;
  const msg = e instanceof Error ? e.message : String(e);
  return new DeviceError(mapped.code, `${where}: ${op} failed (${errno || 'error'}): ${msg}`, {
    retryable: mapped.retryable,
    cause: e,
    details: { bus, address, op, errno },
  });
}

/** Real backend: /dev/i2c-N through i2c-bus. Loaded only when a profile names a real I²C bus. */
export class RealI2cBus implements I2cBus {
  readonly lock = new BusLock();

  constructor(
    readonly name: string,
    private readonly bus: PromisifiedI2c,
  ) {}

  static async open(name: string, busNumber: number): Promise<RealI2cBus> {
    const mod = await import('i2c-bus');
    // openPromisified resolves even when /dev/i2c-N is missing; check() asks the adapter.
    return new RealI2cBus(name, (await mod.default.openPromisified(busNumber)) as PromisifiedI2c);
  }

  /** `register`: the op is a register access, named "<op> 0xNN" in an error (the text is only built for an error). */
  private async call<T>(what: string, address: number | undefined, fn: () => Promise<T>, register?: number): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      const op = register === undefined ? what : `${what} ${hex(register)}`;
      const err = translateI2cError(e, this.name, op, address);
      // The Raspberry Pi's controller (i2c-bcm2835) reports a missing acknowledge as EREMOTEIO,
      // like a transfer broken mid-way. A quick probe tells them apart: nothing answering the
      // address is a NACK (unplugged, unpowered), which is what the technician needs to read.
      if (address !== undefined && err.details.errno === 'EREMOTEIO' && op !== 'scan' && !(await this.answers(address))) {
        throw new DeviceError('I2C_NACK', `${err.message}; ${hex(address)} does not answer a probe (no acknowledge)`, {
          retryable: true,
          cause: e,
          details: { ...err.details, probed: false },
        });
      }
      throw err;
    }
  }

  private async answers(address: number): Promise<boolean> {
    try {
      return (await this.bus.scan(address, address)).includes(address);
    } catch {
      return true; // the probe itself failed: keep the original error
    }
  }

  async write(address: number, data: Uint8Array): Promise<void> {
    const buf = Buffer.from(data);
    await this.call('write', address, () => this.bus.i2cWrite(address, buf.length, buf));
  }

  async read(address: number, length: number): Promise<Uint8Array> {
    const buf = Buffer.alloc(length);
    const r = await this.call('read', address, () => this.bus.i2cRead(address, length, buf));
    if (r.bytesRead !== length) throw shortTransfer(this.name, address, 'read', r.bytesRead, length);
    return new Uint8Array(buf);
  }

  async readRegister(address: number, register: number, length: number): Promise<Uint8Array> {
    const buf = Buffer.alloc(length);
    const r = await this.call('read register', address, () => this.bus.readI2cBlock(address, register, length, buf), register);
    if (r.bytesRead !== length) throw shortTransfer(this.name, address, `read register ${hex(register)}`, r.bytesRead, length);
    // Buffer.alloc gives the transfer its own memory (never the shared pool): a view is enough
    return new Uint8Array(buf.buffer, buf.byteOffset, length);
  }

  async writeRegister(address: number, register: number, data: Uint8Array): Promise<void> {
    const buf = Buffer.from(data);
    await this.call('write register', address, () => this.bus.writeI2cBlock(address, register, buf.length, buf), register);
  }

  async probe(address: number): Promise<boolean> {
    const found = await this.call('scan', address, () => this.bus.scan(address, address));
    return found.includes(address);
  }

  async check(): Promise<void> {
    await this.call('open', undefined, () => this.bus.i2cFuncs());
  }

  async close(): Promise<void> {
    await this.bus.close();
  }
}

function shortTransfer(bus: string, address: number, op: string, got: number, want: number): DeviceError {
  return new DeviceError('I2C_BUS_ERROR', `${bus} ${hex(address)}: ${op} returned ${got} of ${want} bytes`, {
    retryable: true,
    details: { bus, address, op, got, want },
  });
}
