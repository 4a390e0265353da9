import { DeviceError, type DeviceErrorCode } from '../errors.js';
import { simRandom } from './random.js';

export type FaultOp = 'read' | 'write' | 'any';

export interface FailNextOptions {
  readonly op?: FaultOp;
  /** how many operations fail before the device behaves again (default 1) */
  readonly times?: number;
  /** errno the real kernel driver would report: EREMOTEIO, EIO, ENXIO, ETIMEDOUT */
  readonly error?: string;
}

const ERRNO_CODE: Readonly<Record<string, DeviceErrorCode>> = {
  ENXIO: 'I2C_NACK',
  EREMOTEIO: 'I2C_BUS_ERROR',
  EIO: 'I2C_BUS_ERROR',
  ETIMEDOUT: 'DEVICE_TIMEOUT',
};

/**
 * The fault layer every simulator carries: the test face injects faults, the bus face consults
 * it before each transfer. Faults model what the kernel reports for a real part.
 */
export class FaultInjector {
  private pending: { op: FaultOp; remaining: number; error: string }[] = [];
  /** unplugged: nothing acknowledges the address (ENXIO on every transfer) */
  unplugged = false;
  /** added latency per transfer in ms (a slow or clock-stretching part) */
  slowMs = 0;
  /** replace read data with random bytes (noise on a long cable) */
  garbage = false;
  /** count of transfers refused by injected faults */
  injected = 0;

  failNext(options: FailNextOptions = {}): void {
    this.pending.push({ op: options.op ?? 'any', remaining: options.times ?? 1, error: options.error ?? 'EREMOTEIO' });
  }

  unplug(): void {
    this.unplugged = true;
  }

  replug(): void {
    this.unplugged = false;
  }

  clear(): void {
    this.pending = [];
    this.unplugged = false;
    this.slowMs = 0;
    this.garbage = false;
  }

  /** Whether check() can throw: a fault is pending or the part is unplugged (the bus skips check() otherwise). */
  get armed(): boolean {
    return this.unplugged || this.pending.length > 0;
  }

  /** Called by the bus before a transfer; throws the error the kernel would give. */
  check(op: 'read' | 'write', where: string): void {
    if (this.unplugged) {
      this.injected++;
      throw new DeviceError('I2C_NACK', `${where}: no acknowledge (ENXIO)`, {
        retryable: true,
        details: { errno: 'ENXIO', injected: true },
      });
    }
    const f = this.pending[0];
    if (f && (f.op === 'any' || f.op === op)) {
      f.remaining--;
      if (f.remaining <= 0) this.pending.shift();
      this.injected++;
      const code = ERRNO_CODE[f.error] ?? 'I2C_BUS_ERROR';
      throw new DeviceError(code, `${where}: ${op} failed (${f.error})`, {
        retryable: true,
        details: { errno: f.error, injected: true },
      });
    }
  }

  /** Called by the bus on read data. */
  mangle(data: Uint8Array): Uint8Array {
    if (!this.garbage) return data;
    for (let i = 0; i < data.length; i++) data[i] = Math.floor(simRandom() * 256);
    return data;
  }
}
