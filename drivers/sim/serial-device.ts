import { SimulatedPart } from './part.js';
import { simRandom } from './random.js';

/**
 * Faults a serial simulator layers on its output, the way a real line fails:
 * - garbage: random bytes between frames (noise, a wrong-baud neighbour on the same wire)
 * - corrupt: the next N frames leave with one byte flipped, so their checksum fails
 * - truncate: the next N frames are cut short (a brown-out mid-transmission)
 * - silent: the part stops talking (unpowered, asleep, fan stalled)
 */
export class SerialFaults {
  garbage = false;
  silent = false;
  corruptNext = 0;
  truncateNext = 0;
  /** frames spoiled on purpose so far */
  injected = 0;

  clear(): void {
    this.garbage = false;
    this.silent = false;
    this.corruptNext = 0;
    this.truncateNext = 0;
  }
}

/**
 * A serial device simulator, written from the datasheet. Two faces:
 * - line face: `receive(bytes)` takes what the host wrote (commands), `tick(nowMs)` lets a
 *   streaming part produce its periodic frames, `take()` hands out the bytes the part sent;
 *   a host (drivers/sim/serial-mock.ts in-process, drivers/sim/serial-port-host.ts on a real or
 *   pty port) moves them;
 * - test face: setChannel('pm2_5', 35) sets what the part measures in the channel's unit;
 *   sampleRange() says what a generic test may set; faults on top.
 * A simulator owns no timer: the host calls tick().
 */
export abstract class SerialSimDevice extends SimulatedPart {
  readonly faults = new SerialFaults();
  private out: Uint8Array[] = [];

  abstract readonly baudRate: number;
  /** Bytes the host wrote to the part. */
  abstract receive(bytes: Uint8Array): void;
  /** The host's pump calls this every few ms; streaming parts send when a period of clock time has passed. */
  abstract tick(): void;

  /** Another part on the same wire (RS-485 multi-drop); parts that cannot share refuse. */
  merge(other: SerialSimDevice): void {
    throw new Error(`a ${this.part} cannot share its serial line with a ${other.part}`);
  }

  /** Bytes the part sent since the last take(). */
  take(): Uint8Array[] {
    const o = this.out;
    this.out = [];
    return o;
  }

  /** Put a frame on the line, through the fault layer. */
  protected send(frame: Uint8Array): void {
    const f = this.faults;
    if (f.silent) return;
    if (f.garbage) this.out.push(randomBytes(1 + Math.floor(simRandom() * 24)));
    let bytes = Uint8Array.from(frame);
    if (f.corruptNext > 0) {
      f.corruptNext--;
      f.injected++;
      // flip one bit of a payload byte: the frame keeps its header and length, the checksum fails
      const i = Math.min(bytes.length - 3, 4 + Math.floor(simRandom() * Math.max(1, bytes.length - 7)));
      bytes[i] = (bytes[i] as number) ^ 0x10;
    } else if (f.truncateNext > 0) {
      f.truncateNext--;
      f.injected++;
      bytes = bytes.slice(0, Math.max(1, Math.floor(bytes.length / 2)));
    }
    this.out.push(bytes);
  }

  protected violation(reason: string): void {
    this.violations.push(reason);
  }
}

export function randomBytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(simRandom() * 256);
  return b;
}

/** Hold `value` to the range a part can report. */
export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
