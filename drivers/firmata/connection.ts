import { createRequire } from 'node:module';
import type { SerialPort, SerialPortMock } from 'serialport';
import { DeviceError } from '../errors.js';

/** The part of firmata-io's Board (the IO object) we use. */
export interface FirmataIo {
  readonly MODES: Readonly<Record<'INPUT' | 'OUTPUT' | 'ANALOG' | 'PWM' | 'PULLUP', number>>;
  readonly RESOLUTION: { ADC: number | null; PWM: number | null };
  readonly pins: readonly { supportedModes: readonly number[]; analogChannel: number }[];
  readonly analogPins: readonly number[];
  readonly firmware: { name?: string; version?: { major: number; minor: number } };
  readonly version: { major?: number; minor?: number };
  reportVersionTimeoutId?: ReturnType<typeof setTimeout>;
  pinMode(pin: number, mode: number): void;
  analogRead(channel: number, cb: (value: number) => void): void;
  digitalRead(pin: number, cb: (value: number) => void): void;
  digitalWrite(pin: number, value: number): void;
  pwmWrite(pin: number, value: number): void;
  reportAnalogPin(channel: number, on: 0 | 1): void;
  on(event: string, cb: (...args: unknown[]) => void): void;
  removeAllListeners(): void;
  listenerCount(event: string): number;
  eventNames(): (string | symbol)[];
}

/** The part of johnny-five's Board we use. */
interface J5Board {
  readonly isReady: boolean;
  timer: ReturnType<typeof setTimeout> | null;
  on(event: string, cb: (...args: unknown[]) => void): void;
  removeAllListeners(): void;
  eventNames(): (string | symbol)[];
  listenerCount(event: string): number;
}

type Port = SerialPort | SerialPortMock;

type J5 = { Board: (new (o: Record<string, unknown>) => J5Board) & { readonly cache: J5Board[] } };
type FirmataCtor = new (port: Port, options: Record<string, unknown>) => FirmataIo;

const require = createRequire(import.meta.url);
type SerialPortLib = { SerialPort: typeof SerialPort; SerialPortMock: typeof SerialPortMock };
let libs: { five: J5; Firmata: FirmataCtor; serialport: SerialPortLib } | undefined;
/** the simulated boards' binding (sim-link.ts), loaded by prepare() only for a simulated board */
let simulatedBinding: unknown;

/**
 * johnny-five, firmata-io and serialport, loaded on first use: a box without a Firmata board
 * never pays for them. Loading is synchronous (~100 ms idle, seconds on a loaded Pi), so the
 * driver asks for it when it is created, at start, before the broker and the sampling loop run.
 */
export function load(): { five: J5; Firmata: FirmataCtor; serialport: SerialPortLib } {
  libs ??= { five: require('johnny-five') as J5, Firmata: (require('firmata-io') as { Firmata: FirmataCtor }).Firmata, serialport: require('serialport') as SerialPortLib };
  return libs;
}

/**
 * Load what a connection needs before it is made: the simulated board's link (the simulator
 * layer) only when the device is simulated, so a real board never loads it.
 */
export async function prepare(simulated: boolean): Promise<void> {
  if (simulated) simulatedBinding ??= (await import('./sim-link.js')).simulatedBoardBinding;
}

export interface ConnectionOptions {
  readonly path: string;
  readonly baudRate: number;
  /** route the port to a simulated board (sim-link.ts) instead of the serial device */
  readonly simulated: boolean;
  /** ask for REPORT_VERSION after this long if the board did not announce itself, ms */
  readonly queryAfterMs: number;
}

/**
 * One attempt at talking to a board: a serial port opened by us, a firmata-io Board on it and a
 * johnny-five Board on top ({ repl: false, debug: false, sigint: false }: no REPL, no console
 * output, and no SIGINT handler that would call process.reallyExit and skip our shutdown).
 *
 * johnny-five cannot reconnect a board, so a connection is never reused: when the port goes away
 * it is closed for good (`lost`), and the driver makes a new one with a fresh board object.
 * close() takes back everything it added — listeners on the port, the IO object and the board,
 * the two libraries' handshake timers, and johnny-five's global board cache entry — so 20
 * unplug/replug cycles leave the process as they found it.
 */
export class FirmataConnection {
  readonly port: Port;
  readonly io: FirmataIo;
  readonly board: J5Board;
  /** resolves when the handshake (version, firmware, capabilities, analog mapping) is done */
  readonly ready: Promise<void>;
  lost: string | undefined;
  /** called once when the port goes away or fails after the handshake */
  onLost: ((reason: string) => void) | undefined;
  private closed = false;
  private abandon: ((e: DeviceError) => void) | undefined;

  constructor(private readonly options: ConnectionOptions) {
    const { path, baudRate } = options;
    const { five, Firmata, serialport } = load();
    if (options.simulated && simulatedBinding === undefined) throw new Error(`${path}: simulated board requested before prepare(true) loaded its link`);
    this.port = options.simulated
      ? new serialport.SerialPortMock({ path, baudRate, autoOpen: false, ...({ binding: simulatedBinding } as object) })
      : new serialport.SerialPort({ path, baudRate, autoOpen: false });
    this.io = new Firmata(this.port, { reportVersionTimeout: options.queryAfterMs });
    this.board = new five.Board({ io: this.io, repl: false, debug: false, sigint: false });
    this.ready = new Promise<void>((resolve, reject) => {
      this.abandon = reject;
      const fail = (reason: string, cause?: unknown): void => {
        this.markLost(reason);
        reject(new DeviceError('FIRMATA_LOST', `${path}: ${reason}`, { retryable: false, cause, details: { path } }));
      };
      this.board.on('ready', () => resolve());
      this.board.on('error', (e) => fail(`handshake failed: ${(e as Error)?.message ?? String(e)}`, e));
      // firmata-io re-emits port errors on the IO object; with no listener that would crash the process
      this.io.on('error', (e) => fail(`serial error: ${(e as Error)?.message ?? String(e)}`, e));
      this.port.on('close', (err: unknown) => {
        const unplugged = (err as { disconnected?: boolean } | null)?.disconnected === true;
        fail(unplugged ? 'port disconnected (USB cable unplugged or board reset)' : 'port closed');
      });
      this.port.open((err) => {
        if (err) fail(`cannot open the port: ${err.message}`, err);
      });
    });
    // the promise is awaited by the driver; a rejection after it gave up waiting is not an error
    this.ready.catch(() => undefined);
  }

  private markLost(reason: string): void {
    if (this.lost !== undefined) return;
    this.lost = reason;
    this.onLost?.(reason);
  }

  /** Listener count over the port, IO object and board: a leak check for tests. */
  listeners(): number {
    let n = 0;
    for (const e of [this.port, this.io, this.board] as { eventNames(): (string | symbol)[]; listenerCount(e: string | symbol): number }[]) {
      for (const name of e.eventNames()) n += e.listenerCount(name);
    }
    return n;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.markLost('closed by the runtime');
    // an init() still waiting for this handshake learns it was given up (no-op once settled)
    this.abandon?.(new DeviceError('FIRMATA_LOST', `${this.options.path}: connection attempt abandoned`, { retryable: true }));
    // the libraries' own handshake timers: johnny-five's 10 s connect timeout, firmata's version query
    if (this.board.timer) clearTimeout(this.board.timer);
    this.board.timer = null;
    if (this.io.reportVersionTimeoutId) clearTimeout(this.io.reportVersionTimeoutId);
    const cache = load().five.Board.cache;
    const at = cache.indexOf(this.board);
    if (at >= 0) cache.splice(at, 1);
    this.board.removeAllListeners();
    this.io.removeAllListeners();
    const port = this.port;
    port.removeAllListeners();
    port.on('error', () => undefined); // a late write error on a dead port is expected
    if (port.isOpen) {
      await new Promise<void>((resolve) => port.close(() => resolve()));
    }
  }
}

/** johnny-five boards alive in this process (its global cache): a leak check for tests. */
export function johnnyFiveBoards(): number {
  return libs ? libs.five.Board.cache.length : 0;
}
