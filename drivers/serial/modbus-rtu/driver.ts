import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type ModbusSerial from 'modbus-serial';
import type { SerialLink } from '../../bus/serial.js';
import { DeviceError, toDeviceError } from '../../errors.js';
import { decimalsForStep } from '../../precision.js';
import type { ChannelSpec, ChannelValue, DeviceContext, DevicePart, ReadResult } from '../../types.js';
import { exchange } from '../exchange.js';
import { SerialDriver } from '../link-driver.js';
import { openPort, timeoutCovers } from '../port.js';
import { EXCEPTIONS, modbusResponse, readRequest } from './parser.js';
import { decodeRegisters, registerCount, typeRange } from './registers.js';
import type { ModbusRtuOptions, RegisterEntry } from './schema.js';

/** Registers read in one request: same function, contiguous enough, at most 125 registers. */
export interface Block {
  readonly fn: 3 | 4;
  readonly address: number;
  readonly count: number;
  readonly entries: readonly RegisterEntry[];
}

/**
 * Group the map into as few requests as possible. Only adjacent registers are merged by default:
 * many meters answer exception 2 for a read that covers an unmapped address (Telegraf's default
 * optimization "none" for the same reason).
 */
export function planBlocks(entries: readonly RegisterEntry[], maxGap = 0): Block[] {
  const sorted = [...entries].sort((a, b) => a.function - b.function || a.address - b.address);
  const blocks: { fn: 3 | 4; address: number; end: number; entries: RegisterEntry[] }[] = [];
  for (const e of sorted) {
    const end = e.address + registerCount(e.type);
    const last = blocks[blocks.length - 1];
    if (last && last.fn === e.function && e.address <= last.end + maxGap && Math.max(end, last.end) - last.address <= 125) {
      last.end = Math.max(last.end, end);
      last.entries.push(e);
    } else {
      blocks.push({ fn: e.function, address: e.address, end, entries: [e] });
    }
  }
  return blocks.map((b) => ({ fn: b.fn, address: b.address, count: b.end - b.address, entries: b.entries }));
}

export function channelSpecs(o: Pick<ModbusRtuOptions, 'registers'>): ChannelSpec[] {
  return o.registers.map((r) => {
    const t = typeRange(r.type);
    const a = t.min * r.scale + r.offset;
    const b = t.max * r.scale + r.offset;
    const min = r.min ?? Math.min(a, b);
    const max = r.max ?? Math.max(a, b);
    // an integer register resolves one count × scale; a float32 its 24-bit mantissa at the
    // largest magnitude the register is declared to reach (3 places when no range is declared)
    const declared = r.min !== undefined || r.max !== undefined;
    const floatStep = Math.max(Math.abs(min), Math.abs(max), 1) * 2 ** -23 * Math.abs(r.scale);
    const decimals = r.type !== 'float32' ? decimalsForStep(Math.abs(r.scale)) : declared ? decimalsForStep(floatStep) : 3;
    return { name: r.name, unit: r.unit, min, max, decimals };
  });
}

/**
 * modbus-serial's port contract (what its RTUBufferedPort provides) over our SerialLink: the
 * library writes requests and receives whole response frames. Framing is ours: only frames
 * whose CRC verified reach the library (the driver's hunter feeds deliver()).
 */
class LinkPort extends EventEmitter {
  writeError: DeviceError | undefined;
  constructor(private readonly link: SerialLink) {
    super();
  }
  get isOpen(): boolean {
    return this.link.isOpen;
  }
  open(cb: (err: Error | null) => void): void {
    this.link.open().then(() => cb(null), cb);
  }
  close(cb?: (err: Error | null) => void): void {
    cb?.(null);
  }
  write(data: Buffer): void {
    this.writeError = undefined;
    this.link.write(data).catch((e: unknown) => {
      this.writeError = toDeviceError(e, 'SERIAL_PORT_LOST');
    });
  }
  deliver(frame: Uint8Array): void {
    this.emit('data', Buffer.from(frame));
  }
}

type Outcome = { data: number[] } | { error: unknown };

// modbus-serial is CommonJS: module.exports is the client class itself; its typings describe
// that class as the `default` export. It is required when the first Modbus device is created,
// so a box without one never loads it (nor the serialport it requires).
type ModbusClass = typeof ModbusSerial.default;
type ModbusClient = InstanceType<ModbusClass>;
const require = createRequire(import.meta.url);
let ModbusRTU: ModbusClass | undefined;

/**
 * A Modbus RTU slave read through modbus-serial. read() walks the planned blocks, one exchange
 * each: modbus-serial builds the request and parses the answer (exceptions included); waiting,
 * timeout (re-send, bounded) and the shared-line lease belong to exchange() and the scheduler.
 * modbus-serial's own timer is left off (its timeout is unset), so no library timer runs either.
 */
export class ModbusRtuDriver extends SerialDriver {
  readonly channels: readonly ChannelSpec[];
  private readonly blocks: readonly Block[];
  private readonly port: LinkPort;
  private readonly client: ModbusClient;
  private outcome: Outcome | undefined;
  private opened = false;

  constructor(link: SerialLink, private readonly mb: ModbusRtuOptions, ctx: DeviceContext) {
    super(link, modbusResponse(mb.unit), { ...mb, staleAfter: Number.POSITIVE_INFINITY }, ctx);
    this.channels = channelSpecs(mb);
    this.blocks = planBlocks(mb.registers);
    this.port = new LinkPort(link);
    ModbusRTU ??= require('modbus-serial') as ModbusClass;
    this.client = new ModbusRTU(this.port);
    this.client.on('error', () => {
      /* write failures are kept on the port and surface in take() */
    });
  }

  protected onFrame(f: Uint8Array): void {
    this.port.deliver(f);
  }

  protected override async configure(): Promise<void> {
    if (!this.opened) {
      // registers modbus-serial's receive handler on our port (the link is already open)
      await new Promise<void>((resolve, reject) => this.client.open((e: Error | null) => (e ? reject(e) : resolve())));
      this.client.setID(this.mb.unit);
      this.opened = true;
    }
  }

  private fault(e: unknown, b: Block): DeviceError {
    const code = (e as { modbusCode?: unknown } | null)?.modbusCode;
    const where = `${this.where} unit ${this.mb.unit} function ${b.fn} address ${b.address}+${b.count}`;
    if (typeof code === 'number') {
      return new DeviceError('MODBUS_EXCEPTION', `${where}: exception ${code} (${EXCEPTIONS[code] ?? 'unknown'})`, {
        retryable: code === 5 || code === 6,
        details: { unit: this.mb.unit, function: b.fn, address: b.address, count: b.count, exception: code },
      });
    }
    if (e instanceof Error && /CRC/.test(e.message)) return new DeviceError('SERIAL_CHECKSUM', `${where}: ${e.message}`, { retryable: true });
    return toDeviceError(e);
  }

  private readBlock(i: number, acc: ChannelValue[]): Promise<ReadResult> {
    const b = this.blocks[i] as Block;
    return exchange<number[]>({
      clock: this.clock,
      timeoutMs: this.mb.responseTimeout,
      retries: this.mb.retries,
      pollMs: 10,
      what: `Modbus ${this.where} unit ${this.mb.unit} function ${b.fn} address ${b.address}+${b.count}`,
      lease: { link: this.link, owner: this.mb.id },
      send: async () => {
        this.outcome = undefined;
        const req = b.fn === 3 ? this.client.readHoldingRegisters(b.address, b.count) : this.client.readInputRegisters(b.address, b.count);
        req.then(
          (r) => {
            this.outcome = { data: r.data };
          },
          (error: unknown) => {
            this.outcome = { error };
          },
        );
      },
      take: () => {
        if (this.port.writeError) throw this.port.writeError;
        const o = this.outcome;
        if (!o) return undefined;
        if ('error' in o) throw this.fault(o.error, b);
        return o.data;
      },
      checksumErrors: () => this.checksumErrors(),
      done: (words) => {
        for (const e of b.entries) {
          const at = e.address - b.address;
          const raw = decodeRegisters(words.slice(at, at + registerCount(e.type)), e.type, e.order);
          acc.push({ channel: e.name, value: raw * e.scale + e.offset });
        }
        return i + 1 < this.blocks.length ? this.readBlock(i + 1, acc) : { values: acc };
      },
    });
  }

  async read(): Promise<ReadResult> {
    this.guard();
    return this.readBlock(0, []);
  }

  override async reset(): Promise<void> {
    // the line is shared with the other meters: a reset of one meter does not reopen it
  }

  override async close(): Promise<void> {
    // the line may be shared with other meters: the hub closes it, not one device
    this.opened = false;
    await this.detach();
  }

  override describe(): Readonly<Record<string, string | number | boolean>> {
    return { part: 'Modbus RTU', unit: this.mb.unit, requestsPerRead: this.blocks.length, ...super.describe() };
  }
}

export const modbusRtuPart: DevicePart<ModbusRtuOptions> = {
  type: 'modbus-rtu',
  title: 'Modbus RTU meter (register map from the profile)',
  bus: 'serial',
  example: {
    type: 'modbus-rtu',
    port: '/dev/serial/by-id/usb-FTDI_USB-RS485_Cable_FT0ABC12-if00-port0',
    unit: 1,
    interval: '10s',
    registers: [{ name: 'voltage', function: 4, address: 0, type: 'float32', unit: 'V', min: 0, max: 300 }],
  },
  channels: (o) => channelSpecs(o),
  create: (o, ctx) =>
    new ModbusRtuDriver(
      openPort(ctx, o, { parity: o.parity, stopBits: o.stopBits, shared: true }),
      o,
      ctx,
    ),
  check: (o) => timeoutCovers(o, o.responseTimeout * (o.retries + 1) * planBlocks(o.registers).length),
  serial: {
    shared: true,
    // reading one holding register of unit 1 changes nothing on any slave
    probe: { part: 'Modbus RTU slave (unit 1)', baud: 9600, format: modbusResponse(1), query: readRequest(1, 3, 0, 1) },
  },
};
