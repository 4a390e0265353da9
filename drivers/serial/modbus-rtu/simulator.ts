import type { Clock } from '../../bus/clock.js';
import { FrameHunter } from '../../bus/serial-frames.js';
import type { SampleRange } from '../../sim/part.js';
import { SerialSimDevice } from '../../sim/serial-device.js';
import { modbusReadRequest, withCrc } from './parser.js';
import { encodeRegisters, registerCount, typeRange } from './registers.js';
import type { RegisterEntry } from './schema.js';

interface Slave {
  readonly unit: number;
  readonly entries: readonly RegisterEntry[];
  /** function → address → 16-bit register as on the wire */
  readonly regs: Map<3 | 4, Map<number, number>>;
}

/**
 * Modbus RTU slaves on one simulated RS-485 line, serving the register maps of the profile.
 * Behaves as the Application Protocol specifies: a read of an address the map does not hold
 * answers exception 2 (illegal data address), a count of 0 or above 125 exception 3, a function
 * other than 3/4 exception 1; a request to a unit nobody has, or with a bad CRC, gets no answer
 * (silence, as on a real line). Test face: setChannel() in engineering units (scale and offset
 * undone), exceptionNext() to make the next answers exceptions, plus the common faults.
 */
export class ModbusSlaveSimulator extends SerialSimDevice {
  readonly part = 'Modbus RTU slave';
  readonly baudRate: number;
  private readonly slaves = new Map<number, Slave>();
  private readonly requests = new FrameHunter(modbusReadRequest);
  private pendingExceptions: number[] = [];
  /** requests answered, per unit */
  readonly served = new Map<number, number>();

  constructor(clock: Clock, unit: number, entries: readonly RegisterEntry[], baudRate = 9600) {
    super(clock);
    this.baudRate = baudRate;
    this.addSlave(unit, entries);
  }

  get channels(): readonly string[] {
    return [...this.slaves.values()].flatMap((s) => s.entries.map((e) => e.name));
  }

  private addSlave(unit: number, entries: readonly RegisterEntry[]): void {
    if (this.slaves.has(unit)) throw new Error(`two simulated Modbus slaves with unit id ${unit} on one line`);
    const slave: Slave = { unit, entries, regs: new Map([[3, new Map()], [4, new Map()]]) };
    this.slaves.set(unit, slave);
    for (const e of entries) this.write(slave, e, e.min !== undefined && e.max !== undefined ? (e.min + e.max) / 2 : (e.min ?? 0));
  }

  override merge(other: SerialSimDevice): void {
    if (!(other instanceof ModbusSlaveSimulator)) return super.merge(other);
    // adopt the other's slaves themselves: its test face keeps driving the same registers
    for (const s of other.slaves.values()) {
      if (this.slaves.has(s.unit)) throw new Error(`two simulated Modbus slaves with unit id ${s.unit} on one line`);
      this.slaves.set(s.unit, s);
    }
  }

  /** The next `times` requests are answered with exception `code`. */
  exceptionNext(code: number, times = 1): void {
    for (let i = 0; i < times; i++) this.pendingExceptions.push(code);
  }

  receive(bytes: Uint8Array): void {
    for (const r of this.requests.push(bytes)) {
      const slave = this.slaves.get(r[0] as number);
      if (!slave) continue;
      this.answer(slave, r[1] as number, ((r[2] as number) << 8) | (r[3] as number), ((r[4] as number) << 8) | (r[5] as number));
    }
  }

  private answer(slave: Slave, fn: number, address: number, count: number): void {
    const exception = (code: number): void => this.send(withCrc([slave.unit, fn | 0x80, code]));
    const injected = this.pendingExceptions.shift();
    if (injected !== undefined) return exception(injected);
    const table = fn === 3 || fn === 4 ? slave.regs.get(fn) : undefined;
    if (!table) return exception(1);
    if (count < 1 || count > 125) return exception(3);
    const data: number[] = [];
    for (let a = address; a < address + count; a++) {
      const w = table.get(a);
      if (w === undefined) return exception(2);
      data.push(w >> 8, w & 0xff);
    }
    this.served.set(slave.unit, (this.served.get(slave.unit) ?? 0) + 1);
    this.send(withCrc([slave.unit, fn, data.length, ...data]));
  }

  tick(): void {
    /* a slave only answers */
  }

  private entry(channel: string): { slave: Slave; e: RegisterEntry } {
    for (const slave of this.slaves.values()) {
      const e = slave.entries.find((x) => x.name === channel);
      if (e) return { slave, e };
    }
    throw new Error(`no register "${channel}"`);
  }

  private write(slave: Slave, e: RegisterEntry, value: number): void {
    const raw = (value - e.offset) / e.scale;
    const { min, max } = typeRange(e.type);
    const words = encodeRegisters(Math.min(max, Math.max(min, raw)), e.type, e.order);
    const table = slave.regs.get(e.function) as Map<number, number>;
    for (let i = 0; i < registerCount(e.type); i++) table.set(e.address + i, words[i] as number);
  }

  protected applyChannel(channel: string, value: number): void {
    const { slave, e } = this.entry(channel);
    this.write(slave, e, value);
  }

  sampleRange(channel: string): SampleRange {
    const { e } = this.entry(channel);
    const t = typeRange(e.type);
    const lo = e.min ?? Math.max(t.min * e.scale + e.offset, -1e6);
    const hi = e.max ?? Math.min(t.max * e.scale + e.offset, 1e6);
    const tolerance = e.type === 'float32' ? Math.max(Math.abs(lo), Math.abs(hi)) * 1e-6 * Math.abs(e.scale) + 1e-9 : Math.abs(e.scale) / 2;
    return { min: Math.min(lo, hi), max: Math.max(lo, hi), tolerance };
  }
}
