/**
 * Each serial parser against the byte sequences printed in its datasheet (checksum worked
 * examples included) and against the corruptions a real line produces: random bytes, truncated
 * frames, a valid header inside garbage, a flipped bit.
 */
import { describe, expect, it } from 'vitest';
import { FrameHunter, hexBytes } from '../../../drivers/bus/serial-frames.js';
import * as mhzCmd from '../../../drivers/serial/mhz19b/commands.js';
import { decodeCo2, encodeCo2, mhzFrame } from '../../../drivers/serial/mhz19b/parser.js';
import { crc16, modbusReadRequest, modbusResponse, readRequest, withCrc } from '../../../drivers/serial/modbus-rtu/parser.js';
import { decodeRegisters, encodeRegisters } from '../../../drivers/serial/modbus-rtu/registers.js';
import { decodeSentence, nmeaChecksum, nmeaFrame } from '../../../drivers/serial/nmea-gps/parser.js';
import * as pmsCmd from '../../../drivers/serial/pms5003/commands.js';
import { decodeMeasurement as decodePms, encodeMeasurement as encodePms, pmsFrame } from '../../../drivers/serial/pms5003/parser.js';
import * as sdsCmd from '../../../drivers/serial/sds011/commands.js';
import { decodeMeasurement as decodeSds, sdsFrame } from '../../../drivers/serial/sds011/parser.js';

const bytes = (hex: string): Uint8Array => Uint8Array.from(hex.trim().split(/\s+/).map((h) => Number.parseInt(h, 16)));
const ascii = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
const cat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));

/**
 * A PMS5003 measurement frame: PM1.0/2.5/10 CF=1 = 5, 8, 8; atmospheric 5, 8, 8; counts 825,
 * 225, 45, 7, 2, 2; data13 0x9700 (PMSA003 version 0x97). Check = sum of bytes 0…29:
 * 0x42+0x4D+0x1C = 171; + 5+8+8+5+8+8 = 213; + 0x03+0x39 (825) = 273; + 0xE1 (225) = 498;
 * + 0x2D (45) = 543; + 7+2+2 = 554; + 0x97 = 705 = 0x02C1.
 */
const PMS_FRAME = bytes('42 4d 00 1c 00 05 00 08 00 08 00 05 00 08 00 08 03 39 00 e1 00 2d 00 07 00 02 00 02 97 00 02 c1');
/** SDS011 protocol V1.3 example: PM2.5 123.6, PM10 261.8, id A160, checksum 0x1D. */
const SDS_FRAME = bytes('aa c0 d4 04 3a 0a a1 60 1d ab');
/** MH-Z19B datasheet example answer: 608 ppm, checksum 0xD1. */
const MHZ_ANSWER = bytes('ff 86 02 60 47 00 00 00 d1');
/** The NMEA 0183 textbook sentences (checksums 47 and 6A). */
const GGA = '$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\r\n';
const RMC = '$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A\r\n';

describe('PMS5003 frames (datasheet appendix I/II)', () => {
  it('decodes a recorded measurement frame and verifies its 16-bit sum', () => {
    const [f, ...more] = new FrameHunter(pmsFrame).push(PMS_FRAME);
    expect(more).toEqual([]);
    const m = decodePms(f as Uint8Array);
    expect(m).toMatchObject({ pm1_0_cf1: 5, pm2_5_cf1: 8, pm10_cf1: 8, pm1_0: 5, pm2_5: 8, pm10: 8, n0_3: 825, n0_5: 225, n1_0: 45, n2_5: 7, n5_0: 2, n10: 2, reserved: 0x9700 });
    // the simulator's encoder writes exactly these bytes back
    expect(hexBytes(encodePms(m as NonNullable<typeof m>))).toBe(hexBytes(PMS_FRAME));
  });

  it('builds the datasheet commands with their LRC', () => {
    expect(hexBytes(pmsCmd.READ_PASSIVE)).toBe('42 4d e2 00 00 01 71');
    expect(hexBytes(pmsCmd.MODE_PASSIVE)).toBe('42 4d e1 00 00 01 70');
    expect(hexBytes(pmsCmd.MODE_ACTIVE)).toBe('42 4d e1 00 01 01 71');
    expect(hexBytes(pmsCmd.SLEEP)).toBe('42 4d e4 00 00 01 73');
    expect(hexBytes(pmsCmd.WAKE)).toBe('42 4d e4 00 01 01 74');
    expect(hexBytes(pmsCmd.reply(pmsCmd.CMD.MODE, 0))).toBe('42 4d 00 04 e1 00 01 74');
  });

  it('rejects a frame with one flipped bit, and the next good frame still comes through', () => {
    const bad = PMS_FRAME.slice();
    bad[13] = (bad[13] as number) ^ 0x01; // PM2.5 atmospheric 8 → 9: the sum no longer matches
    const h = new FrameHunter(pmsFrame);
    expect(h.push(bad)).toEqual([]);
    expect(h.stats.checksumErrors).toBe(1);
    expect(h.push(PMS_FRAME).map((f) => decodePms(f)?.pm2_5)).toEqual([8]);
  });

  it('resynchronises: random bytes, a truncated frame and a header inside garbage before a good frame', () => {
    const garbage = bytes('00 ff 42 13 4d 42 4d 00 07 99 42');
    const truncated = PMS_FRAME.subarray(0, 20);
    const h = new FrameHunter(pmsFrame);
    const frames = h.push(cat(garbage, truncated, bytes('42 4d 00 1c ee'), PMS_FRAME));
    expect(frames.map((f) => hexBytes(f))).toEqual([hexBytes(PMS_FRAME)]);
    expect(h.pending).toBe(0);
  });

  it('finds a frame split over many reads, byte by byte', () => {
    const h = new FrameHunter(pmsFrame);
    const out = [...cat(bytes('13 37'), PMS_FRAME)].flatMap((b) => h.push(Uint8Array.of(b)));
    expect(out.length).toBe(1);
  });

  it('a length field that is neither 28 nor 4 is noise, not a frame to wait for', () => {
    const h = new FrameHunter(pmsFrame);
    expect(h.push(bytes('42 4d 01 00'))).toEqual([]);
    expect(h.pending).toBe(0);
  });
});

describe('SDS011 frames (protocol V1.3)', () => {
  it('decodes the datasheet example: PM2.5 123.6, PM10 261.8', () => {
    const [f] = new FrameHunter(sdsFrame).push(SDS_FRAME);
    expect(decodeSds(f as Uint8Array)).toEqual({ pm2_5: 123.6, pm10: 261.8, id: 0xa160 });
  });

  it('builds the 19-byte commands with their checksums', () => {
    expect(hexBytes(sdsCmd.QUERY)).toBe('aa b4 04 00 00 00 00 00 00 00 00 00 00 00 00 ff ff 02 ab');
    expect(hexBytes(sdsCmd.SET_QUERY)).toBe('aa b4 02 01 01 00 00 00 00 00 00 00 00 00 00 ff ff 02 ab');
    expect(hexBytes(sdsCmd.SLEEP)).toBe('aa b4 06 01 00 00 00 00 00 00 00 00 00 00 00 ff ff 05 ab');
    expect(hexBytes(sdsCmd.WORK)).toBe('aa b4 06 01 01 00 00 00 00 00 00 00 00 00 00 ff ff 06 ab');
    expect(hexBytes(sdsCmd.setPeriod(1))).toBe('aa b4 08 01 01 00 00 00 00 00 00 00 00 00 00 ff ff 08 ab');
  });

  it('needs the AB tail as well as the sum; 0xAB inside the data does not end a frame', () => {
    const noTail = SDS_FRAME.slice();
    noTail[9] = 0xaa;
    expect(new FrameHunter(sdsFrame).push(noTail)).toEqual([]);
    const abInside = bytes('aa c0 ab 00 ab 00 a1 60 00 ab');
    abInside[8] = (0xab + 0xab + 0xa1 + 0x60) & 0xff;
    expect(new FrameHunter(sdsFrame).push(abInside).map((f) => decodeSds(f)?.pm2_5)).toEqual([17.1]);
  });

  it('resynchronises after garbage with AA C0 inside and a truncated frame', () => {
    const h = new FrameHunter(sdsFrame);
    const frames = h.push(cat(bytes('aa c0 01 aa aa c0'), SDS_FRAME.subarray(0, 6), SDS_FRAME, bytes('17')));
    expect(frames.map((f) => hexBytes(f))).toEqual([hexBytes(SDS_FRAME)]);
  });
});

describe('MH-Z19B frames (datasheet "communication protocol")', () => {
  it('decodes the datasheet answer: 608 ppm', () => {
    const [f] = new FrameHunter(mhzFrame).push(MHZ_ANSWER);
    expect(decodeCo2(f as Uint8Array)).toBe(608);
    expect(hexBytes(encodeCo2(608, 31))).toBe(hexBytes(MHZ_ANSWER));
  });

  it('builds the commands with checksum (~sum + 1)', () => {
    expect(hexBytes(mhzCmd.READ)).toBe('ff 01 86 00 00 00 00 00 79');
    expect(hexBytes(mhzCmd.ZERO_POINT)).toBe('ff 01 87 00 00 00 00 00 78');
    expect(hexBytes(mhzCmd.ABC_ON)).toBe('ff 01 79 a0 00 00 00 00 e6');
    expect(hexBytes(mhzCmd.ABC_OFF)).toBe('ff 01 79 00 00 00 00 00 86');
    expect(hexBytes(mhzCmd.range(5000))).toBe('ff 01 99 00 00 00 13 88 cb');
  });

  it('rejects a wrong checksum and finds the answer behind 0xFF noise', () => {
    const bad = MHZ_ANSWER.slice();
    bad[8] = 0xd0;
    const h = new FrameHunter(mhzFrame);
    expect(h.push(bad)).toEqual([]);
    expect(h.push(cat(bytes('ff ff 86 ff'), MHZ_ANSWER)).map(decodeCo2)).toEqual([608]);
  });
});

describe('NMEA 0183 sentences', () => {
  it('verifies the textbook GGA (*47) and RMC (*6A) and decodes them', () => {
    expect(nmeaChecksum('GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,')).toBe('47');
    const [gga, rmc] = new FrameHunter(nmeaFrame).push(ascii(GGA + RMC));
    const g = decodeSentence(gga as Uint8Array);
    expect(g).toMatchObject({ kind: 'GGA', utcSeconds: 12 * 3600 + 35 * 60 + 19, quality: 1, satellites: 8, hdop: 0.9, altitude: 545.4 });
    expect((g as { latitude: number }).latitude).toBeCloseTo(48 + 7.038 / 60, 9);
    expect((g as { longitude: number }).longitude).toBeCloseTo(11 + 31 / 60, 9);
    const r = decodeSentence(rmc as Uint8Array);
    // 230394: two-digit years 80–99 are 1980–1999 (GPS time starts 1980); the textbook is from 1994
    expect(r).toMatchObject({ kind: 'RMC', valid: true, utcMs: Date.UTC(1994, 2, 23, 12, 35, 19) });
    expect((r as { speed: number }).speed).toBeCloseTo(22.4 * 0.514444, 6);
  });

  it('a wrong checksum, a missing line end and a non-hex checksum are all rejected; a bare LF is accepted (as gpsd)', () => {
    const h = new FrameHunter(nmeaFrame);
    expect(h.push(ascii(GGA.replace('*47', '*46')))).toEqual([]);
    expect(h.push(ascii(GGA.replace('\r\n', '\r$')))).toEqual([]);
    expect(h.push(ascii(GGA.replace('*47', '*4G')))).toEqual([]);
    h.reset();
    expect(h.push(ascii(GGA.replace('\r\n', '\n')))).toHaveLength(1);
    expect(h.push(ascii(GGA))).toHaveLength(1);
  });

  it('a sentence cut short by a new "$" is dropped and the new one is kept', () => {
    const h = new FrameHunter(nmeaFrame);
    const frames = h.push(ascii(`$GPGGA,1235${RMC}\x00\xff$$`));
    expect(frames.map((f) => Buffer.from(f).toString('latin1'))).toEqual([RMC]);
  });

  it("garbage without a line end is held at most one sentence long (gpsd's NMEA_MAX, 102 characters)", () => {
    const h = new FrameHunter(nmeaFrame);
    h.push(ascii(`$${'A'.repeat(500)}`));
    expect(h.pending).toBeLessThanOrEqual(102);
    expect(h.push(ascii(GGA))).toHaveLength(1);
  });

  it('southern and western hemispheres are negative; a fix without a position gives undefined, not 0', () => {
    const s = `GNGGA,000001,3351.000,S,15112.000,W,1,05,1.2,10.0,M,0,M,,`;
    const [f] = new FrameHunter(nmeaFrame).push(ascii(`$${s}*${nmeaChecksum(s)}\r\n`));
    const g = decodeSentence(f as Uint8Array) as { latitude: number; longitude: number };
    expect(g.latitude).toBeCloseTo(-(33 + 51 / 60), 9);
    expect(g.longitude).toBeCloseTo(-(151 + 12 / 60), 9);
    const n = `GPGGA,000001,,,,,0,00,99.99,,M,,M,,`;
    const [e] = new FrameHunter(nmeaFrame).push(ascii(`$${n}*${nmeaChecksum(n)}\r\n`));
    expect(decodeSentence(e as Uint8Array)).toMatchObject({ latitude: undefined, longitude: undefined, quality: 0 });
  });
});

describe('Modbus RTU frames', () => {
  it('CRC-16/MODBUS matches the known request 01 03 00 00 00 0A C5 CD', () => {
    expect(hexBytes(withCrc([0x01, 0x03, 0x00, 0x00, 0x00, 0x0a]))).toBe('01 03 00 00 00 0a c5 cd');
    expect(hexBytes(readRequest(1, 3, 0, 1))).toBe('01 03 00 00 00 01 84 0a');
    expect(crc16(bytes('02 07'))).toBe(0x1241); // Modbus over serial line, appendix B example
  });

  it('a response with a bad CRC is rejected; an exception response is a frame', () => {
    const good = withCrc([1, 3, 4, 0x43, 0x66, 0x80, 0x00]);
    const bad = good.slice();
    bad[5] = (bad[5] as number) ^ 0x40;
    const h = new FrameHunter(modbusResponse(1));
    expect(h.push(bad)).toEqual([]);
    expect(h.stats.checksumErrors).toBe(1);
    expect(h.push(cat(bytes('01 03 f0'), good, withCrc([1, 0x83, 2]))).map(hexBytes)).toEqual([hexBytes(good), hexBytes(withCrc([1, 0x83, 2]))]);
  });

  it('another unit\'s answer on a shared line is not ours', () => {
    expect(new FrameHunter(modbusResponse(1)).push(withCrc([2, 3, 2, 0, 7]))).toEqual([]);
  });

  it('the slave side finds requests behind noise', () => {
    expect(new FrameHunter(modbusReadRequest).push(cat(bytes('00 ff 01'), readRequest(17, 4, 100, 2))).map(hexBytes)).toEqual([hexBytes(readRequest(17, 4, 100, 2))]);
  });

  it('decodes the four byte orders of a float32 (230.5 V = 0x43668000)', () => {
    expect(decodeRegisters([0x4366, 0x8000], 'float32', 'ABCD')).toBe(230.5);
    expect(decodeRegisters([0x8000, 0x4366], 'float32', 'CDAB')).toBe(230.5);
    expect(decodeRegisters([0x6643, 0x0080], 'float32', 'BADC')).toBe(230.5);
    expect(decodeRegisters([0x0080, 0x6643], 'float32', 'DCBA')).toBe(230.5);
    expect(decodeRegisters([0xfffe], 'int16', 'ABCD')).toBe(-2);
    expect(decodeRegisters([0xfeff], 'int16', 'BADC')).toBe(-2);
    expect(decodeRegisters([0xffff, 0xfffe], 'int32', 'ABCD')).toBe(-2);
    expect(decodeRegisters([0x0001, 0x0000], 'uint32', 'CDAB')).toBe(1);
    for (const order of ['ABCD', 'CDAB', 'BADC', 'DCBA'] as const) {
      for (const type of ['int16', 'uint16', 'int32', 'uint32', 'float32'] as const) {
        const v = type.startsWith('u') ? 1234 : -1234;
        expect(decodeRegisters(encodeRegisters(v, type, order), type, order), `${type} ${order}`).toBe(v);
      }
    }
  });
});
