import { byteSum, type FrameFormat } from '../../bus/serial-frames.js';
import { HEAD, TAIL } from './parser.js';

/**
 * Host commands (protocol V1.3 §2): 19 bytes
 *
 *   AA B4  cmd  data×12  id_hi id_lo  checksum  AB
 *
 * checksum = low byte of the sum of bytes 2…16 (cmd, data, id). id FF FF addresses every sensor
 * on the line. Worked example, "query data": AA B4 04 00…00 FF FF 02 AB (0x04+0xFF+0xFF = 0x202).
 */
export const HOST = 0xb4;
export const CMD = {
  REPORTING_MODE: 2, // data[0]: 0 query / 1 set; data[1]: 0 active (streams) / 1 query (answers 4)
  QUERY: 4, // send one measurement
  SLEEP: 6, // data[0]: 0 query / 1 set; data[1]: 0 sleep / 1 work
  FIRMWARE: 7,
  PERIOD: 8, // data[0]: 0 query / 1 set; data[1]: 0 continuous (1 s), 1…30 = one frame every n minutes
} as const;

export function command(cmd: number, data: readonly number[] = [], id = 0xffff): Uint8Array {
  const f = new Uint8Array(19);
  f[0] = HEAD;
  f[1] = HOST;
  f[2] = cmd;
  data.slice(0, 12).forEach((d, i) => {
    f[3 + i] = d & 0xff;
  });
  f[15] = (id >> 8) & 0xff;
  f[16] = id & 0xff;
  f[17] = byteSum(f, 2, 17) & 0xff;
  f[18] = TAIL;
  return f;
}

export const QUERY = command(CMD.QUERY); // AA B4 04 00 … 00 FF FF 02 AB
export const SET_ACTIVE = command(CMD.REPORTING_MODE, [1, 0]);
export const SET_QUERY = command(CMD.REPORTING_MODE, [1, 1]); // checksum 0x02+0x01+0x01+0xFF+0xFF = 0x202 → 02
export const SLEEP = command(CMD.SLEEP, [1, 0]); // checksum 0x06+0x01+0xFF+0xFF = 0x205 → 05
export const WORK = command(CMD.SLEEP, [1, 1]); // → 06
export function setPeriod(minutes: number): Uint8Array {
  return command(CMD.PERIOD, [1, minutes]);
}

/** The 19-byte host commands, as the part (and its simulator) parses them. */
export const sdsCommand: FrameFormat = {
  name: 'SDS011 command',
  headers: [[HEAD, HOST]],
  maxLength: 19,
  length: () => 19,
  verify: (f) => f[18] === TAIL && (byteSum(f, 2, 17) & 0xff) === f[17],
};
