import type { Clock } from '../bus/clock.js';
import type { SerialLink } from '../bus/serial.js';
import { type FrameFormat, FrameHunter } from '../bus/serial-frames.js';
import { DeviceError } from '../errors.js';
import type { ChannelSpec, ChannelValue, DeviceContext, Driver, ReadResult } from '../types.js';
import type { SerialDeviceOptions } from './options.js';

/**
 * What every serial driver shares: the link, a frame hunter on its bytes, loss and staleness.
 * - init() opens the port (again, after an unplug: the runner re-probes with backoff and the
 *   same call reopens) and forgets any half frame from before;
 * - every verified frame goes to onFrame(); a frame that fails its checksum never does;
 * - guard() throws SERIAL_PORT_LOST while the port is gone and SERIAL_NO_DATA when no frame
 *   verified within staleAfter (measured on the injected clock, no timer).
 */
export abstract class SerialDriver implements Driver {
  abstract readonly channels: readonly ChannelSpec[];
  protected readonly hunter: FrameHunter;
  protected readonly clock: Clock;
  /** clock.monoMs() of the last verified frame, or of the open when none came yet */
  protected lastFrameAt = 0;
  private unsubscribe: (() => void)[] = [];
  private checksumSeen = 0;
  /** frames verified since the last read (streaming parts) */
  protected framesSinceRead = 0;

  constructor(
    protected readonly link: SerialLink,
    format: FrameFormat,
    protected readonly options: SerialDeviceOptions,
    protected readonly ctx: DeviceContext,
  ) {
    this.hunter = new FrameHunter(format);
    this.clock = ctx.clock;
  }

  protected get where(): string {
    return `${this.options.id} on ${this.link.path}`;
  }

  async init(): Promise<void> {
    if (this.unsubscribe.length === 0) {
      this.unsubscribe.push(
        this.link.onData((chunk) => {
          for (const f of this.hunter.push(chunk)) {
            this.lastFrameAt = this.clock.monoMs();
            this.framesSinceRead++;
            this.onFrame(f);
          }
        }),
      );
    }
    await this.link.open();
    this.hunter.reset();
    this.lastFrameAt = this.clock.monoMs();
    this.checksumSeen = this.hunter.stats.checksumErrors;
    await this.configure();
  }

  /** Part-specific setup after the port opened (mode commands). */
  protected async configure(): Promise<void> {}

  /** A verified frame arrived. */
  protected abstract onFrame(frame: Uint8Array): void;

  /** Throw the fault that stops a read: port gone, or nothing verified for too long. */
  protected guard(): void {
    const lost = this.link.lost;
    if (lost) throw lost;
    if (!this.link.isOpen) {
      throw new DeviceError('SERIAL_PORT_LOST', `${this.where}: port is not open`, { retryable: true, details: { path: this.link.path } });
    }
    const silent = this.clock.monoMs() - this.lastFrameAt;
    if (silent > this.options.staleAfter) {
      const bad = this.hunter.stats.checksumErrors - this.checksumSeen;
      this.checksumSeen = this.hunter.stats.checksumErrors;
      if (bad > 0) {
        throw new DeviceError('SERIAL_CHECKSUM', `${this.where}: ${bad} frame(s) failed the checksum and none verified for ${Math.round(silent)} ms`, {
          retryable: true,
          details: { checksumErrors: bad, silentMs: Math.round(silent) },
        });
      }
      throw new DeviceError('SERIAL_NO_DATA', `${this.where}: no frame for ${Math.round(silent)} ms (staleAfter ${this.options.staleAfter} ms)`, {
        retryable: true,
        details: { silentMs: Math.round(silent), staleAfter: this.options.staleAfter, bytesSkipped: this.hunter.stats.skippedBytes },
      });
    }
  }

  /**
   * A read of a part that streams on its own: the newest frame's values if one verified since
   * the last read, nothing if none yet (the part sends slower than the profile samples).
   */
  protected streamed(latest: readonly ChannelValue[] | undefined): ReadResult {
    this.guard();
    const fresh = this.framesSinceRead > 0;
    this.framesSinceRead = 0;
    return { values: fresh && latest ? latest : [] };
  }

  /** Checksum failures so far (for request/response exchanges). */
  protected checksumErrors(): number {
    return this.hunter.stats.checksumErrors;
  }

  abstract read(): Promise<ReadResult>;

  /**
   * The runner's soft reset of a failed device: close the port so the next init() reopens it
   * from scratch (a USB adapter that stopped delivering often recovers on reopen, and the OS
   * buffers are flushed). Parts with a wake command override this to send it first.
   */
  async reset(): Promise<void> {
    await this.link.close();
  }

  async close(): Promise<void> {
    await this.detach();
    await this.link.close();
  }

  /** Stop listening to the link without closing it. */
  protected async detach(): Promise<void> {
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
  }

  describe(): Readonly<Record<string, string | number | boolean>> {
    const s = this.hunter.stats;
    return { port: this.link.path, baud: this.link.baudRate, frames: s.frames, checksumErrors: s.checksumErrors, skippedBytes: s.skippedBytes };
  }
}
