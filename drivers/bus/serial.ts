import { DeviceError } from '../errors.js';
import { BusLock } from './lock.js';

/**
 * The serial seam. A driver talks to a SerialLink: open, write bytes, receive chunks, learn that
 * the port went away. The link is a `serialport` SerialPortStream whose binding is a constructor
 * argument, the shape serialport itself uses:
 * - real: the native binding (`SerialPort.binding`, drivers/bus/serial-real.ts); a socat pty pair
 *   is a real port to it, so tests run the native code path;
 * - simulated: `SerialPortMock.binding` from 'serialport' with a device simulator behind it
 *   (drivers/sim/serial-mock.ts). Never import MockBinding from '@serialport/binding-mock' in
 *   ESM: that is a second copy and opening fails with "Port does not exist".
 *
 * A link never retries by itself and owns no timer. When the port disappears (cable pulled,
 * EIO, ENOENT) the link reports SERIAL_PORT_LOST to its listeners and stays closed; the device
 * runner re-probes with backoff and the driver's init() calls open() again.
 */
export interface SerialLink {
  readonly path: string;
  readonly baudRate: number;
  /** Serialises request/response exchanges of devices sharing one port (Modbus multi-drop). */
  readonly lock: BusLock;
  readonly isOpen: boolean;
  /** Why the port closed under us, until the next successful open(). */
  readonly lost: DeviceError | undefined;
  /** Open the port; resolves at once when already open. Rejects with SERIAL_PORT_LOST (missing, busy, no permission). */
  open(): Promise<void>;
  /** Write bytes; resolves when handed to the OS. Rejects with SERIAL_PORT_LOST when closed. */
  write(data: Uint8Array): Promise<void>;
  /** Every chunk of received bytes, as the OS delivers it (frame boundaries are not kept). */
  onData(listener: (chunk: Buffer) => void): () => void;
  /** The port closed without close() being called (unplug). */
  onLost(listener: (error: DeviceError) => void): () => void;
  close(): Promise<void>;
}

/** What a device asks the bus provider for: which port, how fast, and how to simulate it. */
export interface SerialPortSpec {
  /** `/dev/serial/by-id/usb-…-if00-port0` survives re-enumeration; `/dev/ttyUSB0` does not. */
  readonly path: string;
  readonly baudRate: number;
  readonly dataBits?: 5 | 6 | 7 | 8;
  readonly parity?: 'none' | 'even' | 'odd';
  readonly stopBits?: 1 | 2;
  /** profile id of the device opening it, for messages */
  readonly owner: string;
  /** Devices that may share the port (an RS-485 multi-drop bus); others get it alone. */
  readonly shared?: boolean;
}

const ERRNO_BY_MESSAGE: readonly (readonly [RegExp, string])[] = [
  [/no such file|ENOENT/i, 'ENOENT'],
  [/permission denied|EACCES/i, 'EACCES'],
  [/cannot lock port|resource temporarily unavailable|EBUSY/i, 'EBUSY'],
  [/input\/output error|EIO/i, 'EIO'],
  [/does not exist/i, 'ENOENT'],
];

const HINT: Readonly<Record<string, string>> = {
  ENOENT: 'adapter unplugged or path wrong; prefer /dev/serial/by-id/…',
  EACCES: 'no permission; add the edgefw user to the dialout group',
  EBUSY: 'port is held by another program (getty on the console UART, ModemManager, a second edgefw)',
  EIO: 'the adapter went away mid-transfer',
};

/** The errno behind a serialport error: bindings-cpp puts it only in the message. */
export function serialErrno(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('E')) return code;
  const msg = e instanceof Error ? e.message : String(e);
  for (const [re, errno] of ERRNO_BY_MESSAGE) if (re.test(msg)) return errno;
  // anything else (serialport's DisconnectedError included) is the adapter going away mid-transfer
  return 'EIO';
}

export function portLost(path: string, op: string, e: unknown): DeviceError {
  const errno = serialErrno(e);
  const msg = e instanceof Error ? e.message : String(e);
  return new DeviceError('SERIAL_PORT_LOST', `${path}: ${op} failed (${errno}: ${HINT[errno] ?? msg})`, {
    retryable: true,
    cause: e,
    details: { path, op, errno },
  });
}

/**
 * serialport's binding contract (@serialport/bindings-interface, restated: its typings do not
 * resolve under NodeNext). A binding opens ports; a port reads and writes; an in-progress read
 * rejects with `canceled: true` when the port is closed on purpose, and any other rejection makes
 * the stream close with `disconnected: true` (what an unplugged adapter does).
 */
export interface SerialBindingPort {
  readonly openOptions: Required<SerialOpenOptions>;
  readonly isOpen: boolean;
  close(): Promise<void>;
  read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }>;
  write(buffer: Buffer): Promise<void>;
  update(options: { baudRate: number }): Promise<void>;
  set(options: Record<string, boolean | undefined>): Promise<void>;
  get(): Promise<{ cts: boolean; dsr: boolean; dcd: boolean }>;
  getBaudRate(): Promise<{ baudRate: number }>;
  flush(): Promise<void>;
  drain(): Promise<void>;
}

export interface SerialOpenOptions {
  path: string;
  baudRate: number;
  dataBits?: 5 | 6 | 7 | 8;
  lock?: boolean;
  stopBits?: 1 | 1.5 | 2;
  parity?: string;
  rtscts?: boolean;
  xon?: boolean;
  xoff?: boolean;
  xany?: boolean;
  hupcl?: boolean;
}

export interface SerialBinding {
  list(): Promise<{ path: string }[]>;
  open(options: SerialOpenOptions): Promise<SerialBindingPort>;
}

/** What a link needs to open a port: a binding and serialport's stream class to put over it. */
export type BindingLoader = () => Promise<{ binding: SerialBinding; Port: PortConstructor }>;

/** The part of SerialPortStream a link uses; the constructor is serialport's own. */
interface PortStream {
  readonly isOpen: boolean;
  open(cb: (err: Error | null) => void): void;
  close(cb?: (err: Error | null) => void): void;
  write(data: Buffer, cb: (err: Error | null | undefined) => void): boolean;
  on(event: 'data', fn: (chunk: Buffer) => void): unknown;
  on(event: 'close', fn: (err?: Error | null) => void): unknown;
  on(event: 'error', fn: (err: Error) => void): unknown;
  removeAllListeners(): unknown;
}

export type PortConstructor = new (options: Record<string, unknown>) => PortStream;

/**
 * A SerialLink over serialport's SerialPortStream with an injected binding. A fresh stream is
 * made on every open(): serialport streams are not reusable after a disconnect.
 */
export class BindingSerialLink implements SerialLink {
  readonly lock = new BusLock();
  private port: PortStream | undefined;
  private opening: Promise<void> | undefined;
  private readonly dataListeners = new Set<(chunk: Buffer) => void>();
  private readonly lostListeners = new Set<(error: DeviceError) => void>();
  private lostError: DeviceError | undefined;
  /** bytes received since the link was made (diagnostics, probe) */
  bytesIn = 0;
  bytesOut = 0;

  constructor(
    readonly spec: SerialPortSpec,
    private readonly binding: BindingLoader,
  ) {}

  get path(): string {
    return this.spec.path;
  }
  get baudRate(): number {
    return this.spec.baudRate;
  }
  get isOpen(): boolean {
    return this.port?.isOpen === true;
  }
  get lost(): DeviceError | undefined {
    return this.lostError;
  }

  open(): Promise<void> {
    if (this.isOpen) return Promise.resolve();
    this.opening ??= this.doOpen().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async doOpen(): Promise<void> {
    const { binding, Port } = await this.binding();
    this.port?.removeAllListeners();
    // `binding` is SerialPortStream's constructor option; SerialPort's typings omit it but its
    // constructor spreads our options over its default, so the binding we pass is the one used.
    const port = new Port({
      binding,
      path: this.spec.path,
      baudRate: this.spec.baudRate,
      dataBits: this.spec.dataBits ?? 8,
      parity: this.spec.parity ?? 'none',
      stopBits: this.spec.stopBits ?? 1,
      autoOpen: false,
      // hupcl drops DTR on close, which some USB adapters power the sensor from; keep it up
      hupcl: false,
    });
    port.on('error', () => {
      /* errors reach us through open/write callbacks and 'close'; an unhandled 'error' would crash */
    });
    await new Promise<void>((resolve, reject) => {
      port.open((err) => (err ? reject(portLost(this.spec.path, 'open', err)) : resolve()));
    });
    this.port = port;
    this.lostError = undefined;
    port.on('data', (chunk: Buffer) => {
      this.bytesIn += chunk.length;
      for (const l of this.dataListeners) l(chunk);
    });
    port.on('close', (err?: Error | null) => {
      if (this.port !== port) return;
      this.port = undefined;
      // serialport closes with a DisconnectedError (disconnected: true) when a read fails: unplug
      const e = portLost(this.spec.path, 'read', err ?? new Error('port closed (EIO)'));
      this.lostError = e;
      for (const l of this.lostListeners) l(e);
    });
  }

  write(data: Uint8Array): Promise<void> {
    const port = this.port;
    if (!port?.isOpen) {
      return Promise.reject(this.lostError ?? portLost(this.spec.path, 'write', new Error('port not open (ENOENT)')));
    }
    this.bytesOut += data.length;
    return new Promise((resolve, reject) => {
      port.write(Buffer.from(data), (err) => (err ? reject(portLost(this.spec.path, 'write', err)) : resolve()));
    });
  }

  onData(listener: (chunk: Buffer) => void): () => void {
    this.dataListeners.add(listener);
    return () => this.dataListeners.delete(listener);
  }

  onLost(listener: (error: DeviceError) => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  async close(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    if (!port?.isOpen) return;
    await new Promise<void>((resolve) => port.close(() => resolve()));
    port.removeAllListeners();
  }
}
