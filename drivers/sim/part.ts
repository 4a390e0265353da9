import type { Clock } from '../bus/clock.js';

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

/**
 * What every simulated part has, whatever its bus: a name, the channels it measures, the test
 * face that sets them in SI units (frozen while stuck), and the list of driver mistakes the real
 * part would not tolerate (tests assert it stays empty). Bus faces live in the subclasses
 * (I2cSimDevice, SerialSimDevice).
 */
export abstract class SimulatedPart {
  /** driver mistakes the real part would not tolerate; tests assert this stays empty */
  readonly violations: string[] = [];
  private stuck = false;

  constructor(protected readonly clock: Clock) {}

  abstract readonly part: string;
  abstract readonly channels: readonly string[];
  /** Set the physical quantity the part measures, in the channel's unit. */
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
}
