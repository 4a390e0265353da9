import { be16, byteSum, type FrameFormat } from '../../bus/serial-frames.js';
import { START } from './parser.js';

/**
 * Host commands (PMS5003 datasheet appendix II): 0x42 0x4D CMD DATAH DATAL LRCH LRCL, where
 * LRC = sum of the five bytes before it. Worked example, "read in passive mode":
 * 0x42 + 0x4D + 0xE2 + 0x00 + 0x00 = 0x0171 → 42 4D E2 00 00 01 71.
 */
export const CMD = {
  READ: 0xe2, // passive mode: send one measurement frame
  MODE: 0xe1, // data 0x00 = passive, 0x01 = active
  SLEEP: 0xe4, // data 0x00 = sleep (fan stops), 0x01 = wake up
} as const;

export function command(cmd: number, data: number): Uint8Array {
  const f = Uint8Array.of(START[0], START[1], cmd, (data >> 8) & 0xff, data & 0xff, 0, 0);
  const lrc = byteSum(f, 0, 5);
  f[5] = (lrc >> 8) & 0xff;
  f[6] = lrc & 0xff;
  return f;
}

export const READ_PASSIVE = command(CMD.READ, 0); // 42 4D E2 00 00 01 71
export const MODE_PASSIVE = command(CMD.MODE, 0); // 42 4D E1 00 00 01 70
export const MODE_ACTIVE = command(CMD.MODE, 1); // 42 4D E1 00 01 01 71
export const SLEEP = command(CMD.SLEEP, 0); // 42 4D E4 00 00 01 73
export const WAKE = command(CMD.SLEEP, 1); // 42 4D E4 00 01 01 74

/** The 7-byte host commands, as the part (and its simulator) parses them. */
export const pmsCommand: FrameFormat = {
  name: 'PMS5003 command',
  headers: [START],
  maxLength: 7,
  length: () => 7,
  verify: (f) => (byteSum(f, 0, 5) & 0xffff) === be16(f, 5),
};

/** The part's answer to MODE and SLEEP: 42 4D 00 04 CMD DATA check (e.g. 42 4D 00 04 E1 00 01 74). */
export function reply(cmd: number, data: number): Uint8Array {
  const f = Uint8Array.of(START[0], START[1], 0x00, 0x04, cmd, data, 0, 0);
  const s = byteSum(f, 0, 6);
  f[6] = (s >> 8) & 0xff;
  f[7] = s & 0xff;
  return f;
}
