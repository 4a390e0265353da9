import {
  type BindingLoader,
  BindingSerialLink,
  type PortConstructor,
  type SerialBinding,
  type SerialBindingPort,
  type SerialLink,
  type SerialOpenOptions,
  type SerialPortSpec,
} from '../bus/serial.js';
import type { SerialSimDevice } from './serial-device.js';

type MockBinding = SerialBinding & { createPort(path: string, opt?: { echo?: boolean; record?: boolean }): void };
type MockPort = SerialBindingPort & { emitData(data: Buffer): void };

/**
 * Who calls the simulators' pumps: the runtime passes its scheduler (so the demo's simulated
 * sensors run on the one clock, and show in its task stats); tests and tools use a plain interval.
 */
export type Ticker = (everyMs: number, fn: () => void) => () => void;

export const intervalTicker: Ticker = (everyMs, fn) => {
  const t = setInterval(fn, everyMs);
  t.unref();
  return () => clearInterval(t);
};

interface SimPortState {
  readonly sim: SerialSimDevice;
  unplugged: boolean;
  /** the open port, if any: unplug() fails its pending read */
  open: SimPortBinding | undefined;
}

/**
 * In-process serial ports for `simulated: true` devices and fast tests: serialport's
 * `SerialPortMock.binding` (the copy `serialport` itself uses) wrapped so that
 * - bytes the driver writes reach the device simulator's receive(),
 * - the simulator's output is delivered as received data, pumped every `pumpMs`,
 * - unplug() fails the pending read the way the native binding does (EIO, then `close` with
 *   `disconnected: true`) and makes open() fail with ENOENT until replug().
 * The pump stands in for the sensor's own oscillator; it is the simulator's time, not the
 * driver's, runs on the given ticker (the runtime's scheduler) and stops when the port closes.
 */
export class SimulatedSerialPorts {
  private readonly ports = new Map<string, SimPortState>();
  private mock: Promise<{ binding: MockBinding; Port: PortConstructor }> | undefined;

  /** pumpMs: how often streaming simulators get to send (their frames come every ≥ 200 ms) */
  constructor(
    readonly pumpMs = 25,
    private readonly ticker: Ticker = intervalTicker,
  ) {}

  /** Put a simulator at `path` (any string; the demo uses its profile's by-id path). */
  add(path: string, sim: SerialSimDevice): void {
    if (this.ports.has(path)) throw new Error(`simulated serial port ${path} already has a ${this.ports.get(path)?.sim.part}`);
    this.ports.set(path, { sim, unplugged: false, open: undefined });
  }

  simulator(path: string): SerialSimDevice | undefined {
    return this.ports.get(path)?.sim;
  }

  link(spec: SerialPortSpec): SerialLink {
    return new BindingSerialLink(spec, () => this.loaded());
  }

  /** Pull the cable: the open port fails its read, later opens fail with ENOENT. */
  unplug(path: string): void {
    const s = this.state(path);
    s.unplugged = true;
    s.open?.disconnect();
  }

  replug(path: string): void {
    this.state(path).unplugged = false;
  }

  private state(path: string): SimPortState {
    const s = this.ports.get(path);
    if (!s) throw new Error(`no simulated serial port ${path}`);
    return s;
  }

  private loaded(): ReturnType<BindingLoader> {
    this.mock ??= import('serialport').then((m) => ({
      binding: m.SerialPortMock.binding as unknown as MockBinding,
      Port: m.SerialPortMock as unknown as PortConstructor,
    }));
    return this.mock.then(({ binding, Port }) => ({ binding: this.wrap(binding), Port }));
  }

  private wrap(mock: MockBinding): SerialBinding {
    return {
      list: async (): Promise<{ path: string }[]> => (await mock.list()).filter((p) => this.ports.has(p.path)),
      open: async (options: SerialOpenOptions): Promise<SerialBindingPort> => {
        const s = this.ports.get(options.path);
        if (!s || s.unplugged) throw new Error(`No such file or directory, cannot open ${options.path}`);
        // a fresh mock port per open: the mock keeps no state we need between plug-ins
        mock.createPort(options.path, { echo: false, record: false });
        const inner = (await mock.open(options)) as MockPort;
        const port = new SimPortBinding(inner, s.sim, this.pumpMs, this.ticker);
        s.open = port;
        return port;
      },
    };
  }
}

/** One open simulated port: the mock port plus the simulator's pump and the unplug switch. */
class SimPortBinding implements SerialBindingPort {
  private readonly stopPump: () => void;
  private fail: ((e: Error) => void) | undefined;
  private readonly unplugged: Promise<never>;
  private readonly wrongBaud: boolean;

  constructor(
    private readonly inner: MockPort,
    private readonly sim: SerialSimDevice,
    pumpMs: number,
    ticker: Ticker,
  ) {
    this.wrongBaud = inner.openOptions.baudRate !== sim.baudRate;
    this.unplugged = new Promise<never>((_, reject) => {
      this.fail = reject;
    });
    this.unplugged.catch(() => undefined);
    this.stopPump = ticker(pumpMs, () => {
      sim.tick();
      this.deliver();
    });
  }

  get openOptions(): Required<SerialOpenOptions> {
    return this.inner.openOptions;
  }
  get isOpen(): boolean {
    return this.inner.isOpen;
  }

  disconnect(): void {
    this.stopPump();
    const e = Object.assign(new Error('Input/output error (EIO): device unplugged'), { code: 'EIO' });
    this.fail?.(e);
  }

  /** Hand the simulator's output to the reader; at a baud rate the part does not use, it arrives as noise. */
  private deliver(): void {
    if (!this.inner.isOpen) return;
    for (const chunk of this.sim.take()) this.inner.emitData(Buffer.from(this.wrongBaud ? garble(chunk) : chunk));
  }

  async read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }> {
    return Promise.race([this.inner.read(buffer, offset, length), this.unplugged]);
  }

  async write(buffer: Buffer): Promise<void> {
    await Promise.race([this.inner.write(buffer), this.unplugged]);
    if (!this.wrongBaud) this.sim.receive(Uint8Array.from(buffer));
    this.deliver();
  }

  async close(): Promise<void> {
    this.stopPump();
    if (this.inner.isOpen) await this.inner.close();
  }

  update(options: { baudRate: number }): Promise<void> {
    return this.inner.update(options);
  }
  set(options: Record<string, boolean | undefined>): Promise<void> {
    return this.inner.set(options);
  }
  get(): ReturnType<SerialBindingPort['get']> {
    return this.inner.get();
  }
  getBaudRate(): Promise<{ baudRate: number }> {
    return this.inner.getBaudRate();
  }
  flush(): Promise<void> {
    return this.inner.flush();
  }
  drain(): Promise<void> {
    return this.inner.drain();
  }
}

/** What a UART sampling at the wrong rate makes of a byte stream: other bytes, roughly as many. */
function garble(chunk: Uint8Array): Uint8Array {
  const out = new Uint8Array(chunk.length);
  for (let i = 0; i < chunk.length; i++) out[i] = ((chunk[i] as number) * 73 + 41 + i) & 0xff;
  return out;
}
