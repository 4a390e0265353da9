import type { Clock } from '../bus/clock.js';
import { FaultInjector } from './faults.js';

/** Values and tolerance a generic test may use for one channel of a simulated part. */
export interface SampleRange {
  readonly min: number;
  readonly max: number;
  /** how close the driver's reading must come to the value set, in the channel's unit */
  readonly tolerance: number;
  /**
   * Set for a channel the chip computes from other channels (INA219 power = bus voltage ×
   * current): the value it must report given the values set on the others. A generic test
   * does not set a derived channel; it checks the reading against this.
   */
  readonly derived?: (set: ReadonlyMap<string, number>) => number;
}

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
export abstract class I2cSimDevice {
  readonly faults = new FaultInjector();
  /** driver mistakes the chip would not tolerate; tests assert this stays empty */
  readonly violations: string[] = [];
  private stuck = false;

  constructor(protected readonly clock: Clock) {}

  abstract readonly part: string;
  abstract readonly channels: readonly string[];

  /** One write transfer (register pointer or command, then data). */
  abstract onWrite(data: Uint8Array): void;
  /** One read transfer of `length` bytes. */
  abstract onRead(length: number): Uint8Array;
  /** Set the physical quantity the part measures, in SI-ish units of the channel. */
  protected abstract applyChannel(channel: string, value: number): void;
  abstract sampleRange(channel: string): SampleRange;

  setChannel(channel: string, value: number): void {
    if (!this.channels.includes(channel)) {
      throw new Error(`${this.part} simulator has no channel "${channel}" (has ${this.channels.join(', ')})`);
    }
    if (!this.stuck) this.applyChannel(channel, value);
  }

  /** Freeze every channel at its current value (a stuck sensor). */
  stick(): void {
    this.stuck = true;
  }

  unstick(): void {
    this.stuck = false;
  }

  protected refuse(reason: string): never {
    this.violations.push(reason);
    throw new SimRefusal(`${this.part}: ${reason}`);
  }
}
