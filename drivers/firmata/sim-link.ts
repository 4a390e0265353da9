import { SerialPortMock } from 'serialport';
import type { FirmataSimulator } from './simulator.js';

/*
 * In-process wiring of a simulated board to a serialport stream, over serialport's own mock
 * binding (`SerialPortMock.binding`; importing @serialport/binding-mock from ESM gives a second
 * copy and "Port does not exist"). The demo and tests use it; the real johnny-five and firmata
 * code run on top unchanged. A socat pty pair is the other way in (test/helpers/pty.ts).
 */

type MockBinding = typeof SerialPortMock.binding;
type OpenOptions = Parameters<MockBinding['open']>[0];
type MockPort = Awaited<ReturnType<MockBinding['open']>>;

/** One open of the port: unplugging marks it dead, failing its pending read and every later one. */
interface OpenPort {
  dead: Error | undefined;
  failRead: ((e: Error) => void) | undefined;
}

interface Link {
  readonly sim: FirmataSimulator;
  plugged: boolean;
  current: OpenPort | undefined;
}

const links = new Map<string, Link>();

/** Make `sim` answer on `path` (any name, e.g. "sim:uno"). The board boots when the host opens the port. */
export function attachSimulatedBoard(path: string, sim: FirmataSimulator): void {
  if (links.has(path)) throw new Error(`a simulated board is already attached at ${path}`);
  SerialPortMock.binding.createPort(path, { echo: false, record: false });
  links.set(path, { sim, plugged: true, current: undefined });
}

export function detachSimulatedBoard(path: string): void {
  unplugSimulatedBoard(path);
  links.delete(path);
}

/** Pull the USB cable: the open port reports a disconnect and opening fails until replugged. */
export function unplugSimulatedBoard(path: string): void {
  const link = links.get(path);
  if (!link) return;
  link.plugged = false;
  link.sim.send = () => undefined;
  const open = link.current;
  link.current = undefined;
  if (open) {
    open.dead = new Error(`${path}: device disconnected (USB unplugged)`);
    open.failRead?.(open.dead);
  }
}

export function replugSimulatedBoard(path: string): void {
  const link = links.get(path);
  if (link) link.plugged = true;
}

/**
 * A serialport binding whose ports are simulated boards. Opening the port resets the board as
 * the Uno's DTR line does (the host sees REPORT_VERSION and the firmware name); writes go to the
 * simulator; a pending read rejects when the board is unplugged, which serialport reports as a
 * close with `disconnected: true`, the same as a real USB unplug.
 */
export const simulatedBoardBinding = {
  list: (): ReturnType<MockBinding['list']> => SerialPortMock.binding.list(),
  async open(options: OpenOptions): Promise<MockPort> {
    const link = links.get(options.path);
    if (!link?.plugged) {
      throw Object.assign(new Error(`Error: No such file or directory, cannot open ${options.path}`), { code: 'ENOENT' });
    }
    const port = await SerialPortMock.binding.open(options);
    const open: OpenPort = { dead: undefined, failRead: undefined };
    link.current = open;
    const write = port.write.bind(port);
    const read = port.read.bind(port);
    port.write = async (buffer: Buffer): Promise<void> => {
      await write(buffer);
      if (!open.dead) link.sim.receive(buffer);
    };
    port.read = (buffer: Buffer, offset: number, length: number): ReturnType<MockPort['read']> =>
      new Promise((resolve, reject) => {
        if (open.dead) {
          reject(open.dead);
          return;
        }
        open.failRead = reject;
        read(buffer, offset, length).then(resolve, reject);
      });
    link.sim.send = (bytes) => {
      if (!open.dead && port.isOpen) port.emitData(Buffer.from(bytes));
    };
    // DTR reset on open: the sketch restarts and announces itself
    link.sim.reboot(true);
    return port;
  },
};
