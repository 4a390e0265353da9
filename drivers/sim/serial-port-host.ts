import type { SerialLink } from '../bus/serial.js';
import type { SerialSimDevice } from './serial-device.js';

/**
 * Runs a serial simulator on a real port: one end of a socat pty pair in tests and on a laptop,
 * or a USB-serial adapter wired to a box under test (the box cannot tell it from the sensor).
 * Bytes the port receives go to the simulator; what the simulator sends is written out. The
 * pump timer stands in for the sensor's own clock. If the port goes away the host stops; start
 * a new host on the new port.
 */
export class SerialPortSimHost {
  private pump: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void)[] = [];
  /** bytes written to the line */
  bytesOut = 0;

  constructor(
    readonly sim: SerialSimDevice,
    readonly link: SerialLink,
    readonly pumpMs = 10,
  ) {}

  async start(): Promise<void> {
    await this.link.open();
    this.unsubscribe.push(
      this.link.onData((chunk) => {
        this.sim.receive(Uint8Array.from(chunk));
        this.flush();
      }),
      this.link.onLost(() => this.stopPump()),
    );
    this.pump = setInterval(() => {
      this.sim.tick();
      this.flush();
    }, this.pumpMs);
  }

  private flush(): void {
    if (!this.link.isOpen) return;
    for (const chunk of this.sim.take()) {
      this.bytesOut += chunk.length;
      this.link.write(chunk).catch(() => this.stopPump());
    }
  }

  private stopPump(): void {
    if (this.pump) clearInterval(this.pump);
    this.pump = undefined;
  }

  async stop(): Promise<void> {
    this.stopPump();
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    await this.link.close();
  }
}
