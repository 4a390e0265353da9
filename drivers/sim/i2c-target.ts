import { FaultInjector } from './faults.js';
import { SimulatedPart } from './part.js';

export type { SampleRange } from './part.js';

/** Thrown by a simulator's bus face when the silicon would refuse a transfer (NACK). */
export class SimRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimRefusal';
  }
}

/**
 * A register-level simulator of one I²C part. Two faces:
 * - bus face: onWrite/onRead see exactly the bytes of each transfer; a transfer the chip would
 *   refuse throws SimRefusal (the bus turns it into I2C_NACK) and `violations` records the
 *   driver bug (writing a read-only register, reading before a conversion finished).
 * - test face: setChannel('temperature', 23.5) encodes SI units into raw codes with the inverse
 *   of the compensation; sampleRange() says which values a generic test may use; faults on top.
 */
export abstract class I2cSimDevice extends SimulatedPart {
  readonly faults = new FaultInjector();

  /** One write transfer (register pointer or command, then data). */
  abstract onWrite(data: Uint8Array): void;
  /** One read transfer of `length` bytes. */
  abstract onRead(length: number): Uint8Array;

  protected refuse(reason: string): never {
    this.violations.push(reason);
    throw new SimRefusal(`${this.part}: ${reason}`);
  }
}
