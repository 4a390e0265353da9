/**
 * Property tests on every serial frame parser (fast-check). For each parser, two properties:
 * 1. any byte stream, cut into any chunks, never makes the parser throw, and every frame it hands
 *    out passes an independent reference check of the protocol's checksum (written here from
 *    the datasheet, not shared with the parser) and decodes to finite numbers;
 * 2. valid frames with arbitrary garbage and truncated frames between them are all recovered,
 *    unless a chance checksum collision verified a false frame (then that is counted).
 *
 * Size: EDGEFW_FUZZ_RUNS generated streams per parser in total (default 100 000, split 60/40
 * between the two properties). Long run: `npm run fuzz:serial` (EDGEFW_FUZZ_RUNS=2000000).
 */
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type FrameFormat, FrameHunter } from '../../../drivers/bus/serial-frames.js';
import { pmsCommand } from '../../../drivers/serial/pms5003/commands.js';
import { decodeMeasurement as decodePms, encodeMeasurement as encodePms, pmsFrame } from '../../../drivers/serial/pms5003/parser.js';
import { sdsCommand } from '../../../drivers/serial/sds011/commands.js';
import { decodeMeasurement as decodeSds, encodeMeasurement as encodeSds, sdsFrame } from '../../../drivers/serial/sds011/parser.js';
import { mhzCommand } from '../../../drivers/serial/mhz19b/commands.js';
import { decodeCo2, encodeCo2, mhzFrame } from '../../../drivers/serial/mhz19b/parser.js';
import { decodeSentence, nmeaFrame, sentence } from '../../../drivers/serial/nmea-gps/parser.js';
import { modbusReadRequest, modbusResponse, readRequest, withCrc } from '../../../drivers/serial/modbus-rtu/parser.js';
import { fuzzRuns } from '../../helpers/serial.js';

const require = createRequire(import.meta.url);
/** modbus-serial's own CRC, as the reference for ours */
const referenceCrc16 = require('modbus-serial/utils/crc16.js') as (b: Buffer) => number;

const TOTAL = fuzzRuns(100_000);
const RUNS_ANY = Math.ceil(TOTAL * 0.6);
const RUNS_FRAMED = Math.max(1, TOTAL - RUNS_ANY);
/** ~0.3 ms per stream on a loaded 2-core box, with a wide margin for the long run */
const TIMEOUT_MS = 60_000 + TOTAL * 2;

const sum = (b: Uint8Array, from: number, to: number): number => b.subarray(from, to).reduce((a, x) => a + x, 0);

interface Case {
  readonly format: FrameFormat;
  /** independent check of a frame the parser handed out */
  readonly reference: (f: Uint8Array) => boolean;
  /** decode as the driver would (must not throw, numbers finite) */
  readonly decode: (f: Uint8Array) => readonly number[];
  /** a generator of valid frames */
  readonly valid: fc.Arbitrary<Uint8Array>;
}

const u16 = fc.integer({ min: 0, max: 0xffff });

const CASES: Record<string, Case> = {
  'PMS5003 data/reply': {
    format: pmsFrame,
    reference: (f) => f[0] === 0x42 && f[1] === 0x4d && f.length === 4 + ((f[2] as number) << 8) + (f[3] as number) && (sum(f, 0, f.length - 2) & 0xffff) === Buffer.from(f).readUInt16BE(f.length - 2),
    decode: (f) => Object.values(decodePms(f) ?? {}),
    valid: fc.array(u16, { minLength: 13, maxLength: 13 }).map((w) =>
      encodePms({ pm1_0_cf1: w[0]!, pm2_5_cf1: w[1]!, pm10_cf1: w[2]!, pm1_0: w[3]!, pm2_5: w[4]!, pm10: w[5]!, n0_3: w[6]!, n0_5: w[7]!, n1_0: w[8]!, n2_5: w[9]!, n5_0: w[10]!, n10: w[11]!, reserved: w[12]! }),
    ),
  },
  'PMS5003 command (simulator side)': {
    format: pmsCommand,
    reference: (f) => f.length === 7 && f[0] === 0x42 && f[1] === 0x4d && (sum(f, 0, 5) & 0xffff) === Buffer.from(f).readUInt16BE(5),
    decode: (f) => [f[2] as number],
    valid: fc.tuple(fc.constantFrom(0xe1, 0xe2, 0xe4), fc.integer({ min: 0, max: 1 })).map(([c, d]) => {
      const f = Uint8Array.of(0x42, 0x4d, c, 0, d, 0, 0);
      const s = sum(f, 0, 5);
      f[5] = s >> 8;
      f[6] = s & 0xff;
      return f;
    }),
  },
  'SDS011 data/reply': {
    format: sdsFrame,
    reference: (f) => f.length === 10 && f[0] === 0xaa && (f[1] === 0xc0 || f[1] === 0xc5) && f[9] === 0xab && sum(f, 2, 8) % 256 === f[8],
    decode: (f) => Object.values(decodeSds(f) ?? {}),
    valid: fc.tuple(u16, u16, u16).map(([a, b, id]) => encodeSds({ pm2_5: a / 10, pm10: b / 10, id })),
  },
  'SDS011 command (simulator side)': {
    format: sdsCommand,
    reference: (f) => f.length === 19 && f[0] === 0xaa && f[1] === 0xb4 && f[18] === 0xab && sum(f, 2, 17) % 256 === f[17],
    decode: (f) => [f[2] as number],
    valid: fc.uint8Array({ minLength: 15, maxLength: 15 }).map((d) => {
      // command, 12 data bytes, 2 id bytes
      const f = Uint8Array.of(0xaa, 0xb4, ...d, 0, 0xab);
      f[17] = sum(f, 2, 17) % 256;
      return f;
    }),
  },
  'MH-Z19B answer': {
    format: mhzFrame,
    reference: (f) => f.length === 9 && f[0] === 0xff && f[1] === 0x86 && (0x100 - (sum(f, 1, 8) % 256)) % 256 === f[8],
    decode: (f) => [decodeCo2(f)],
    valid: fc.tuple(fc.integer({ min: 0, max: 10000 }), fc.integer({ min: -40, max: 80 })).map(([ppm, t]) => encodeCo2(ppm, t)),
  },
  'MH-Z19B command (simulator side)': {
    format: mhzCommand,
    reference: (f) => f.length === 9 && f[0] === 0xff && f[1] === 0x01 && (0x100 - (sum(f, 1, 8) % 256)) % 256 === f[8],
    decode: (f) => [f[2] as number],
    valid: fc.uint8Array({ minLength: 6, maxLength: 6 }).map((d) => {
      const f = Uint8Array.of(0xff, 0x01, ...d, 0);
      f[8] = (0x100 - (sum(f, 1, 8) % 256)) % 256;
      return f;
    }),
  },
  'NMEA 0183 sentence': {
    format: nmeaFrame,
    reference: (f) => {
      const m = /^\$([\x20-\x7e]*)\*([0-9A-Fa-f]{2})\r\n$/.exec(Buffer.from(f).toString('latin1'));
      if (!m || (m[1] as string).includes('*') || f.length > 82) return false;
      let x = 0;
      for (const c of m[1] as string) x ^= c.charCodeAt(0);
      return x === Number.parseInt(m[2] as string, 16);
    },
    decode: (f) => {
      const s = decodeSentence(f);
      return s ? Object.values(s).filter((v): v is number => typeof v === 'number') : [];
    },
    valid: fc
      .tuple(fc.constantFrom('GPGGA', 'GNGGA', 'GPRMC', 'GNRMC', 'GPGSV'), fc.array(fc.stringMatching(/^[0-9A-Z.]{0,8}$/), { maxLength: 8 }))
      .map(([t, fields]) => new Uint8Array(Buffer.from(sentence([t, ...fields].join(',')), 'latin1')))
      .filter((f) => f.length <= 82),
  },
  'Modbus RTU response (unit 1)': {
    format: modbusResponse(1),
    reference: (f) => {
      const body = Buffer.from(f.subarray(0, f.length - 2));
      const crcOk = referenceCrc16(body) === Buffer.from(f).readUInt16LE(f.length - 2);
      const shapeOk = f[0] === 1 && ((f[1]! & 0x80 ? f.length === 5 : f.length === 5 + f[2]!));
      return crcOk && shapeOk;
    },
    decode: (f) => Array.from(f.subarray(3, f.length - 2)),
    valid: fc.oneof(
      fc.tuple(fc.constantFrom(3, 4), fc.array(u16, { minLength: 1, maxLength: 40 })).map(([fn, regs]) => withCrc([1, fn, regs.length * 2, ...regs.flatMap((r) => [r >> 8, r & 0xff])])),
      fc.tuple(fc.constantFrom(0x83, 0x84), fc.integer({ min: 1, max: 11 })).map(([fn, code]) => withCrc([1, fn, code])),
    ),
  },
  'Modbus RTU read request (slave side)': {
    format: modbusReadRequest,
    reference: (f) => f.length === 8 && referenceCrc16(Buffer.from(f.subarray(0, 6))) === Buffer.from(f).readUInt16LE(6) && (f[1] === 3 || f[1] === 4) && f[0]! >= 1 && f[0]! <= 247,
    decode: (f) => [f[0] as number, f[1] as number],
    valid: fc
      .tuple(fc.integer({ min: 1, max: 247 }), fc.constantFrom(3 as const, 4 as const), u16, fc.integer({ min: 1, max: 125 }))
      .map(([u, fn, a, n]) => readRequest(u, fn, a, n)),
  },
};

/** Feed `stream` in chunks of the given sizes (cycled), collecting every frame. */
function run(format: FrameFormat, stream: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const h = new FrameHunter(format);
  const out: Uint8Array[] = [];
  let i = 0;
  let k = 0;
  while (i < stream.length) {
    const n = cuts.length === 0 ? stream.length : Math.max(1, cuts[k++ % cuts.length] as number);
    out.push(...h.push(stream.subarray(i, i + n)));
    i += n;
  }
  if (h.pending > format.maxLength) throw new Error(`parser holds ${h.pending} bytes, more than one frame (${format.maxLength})`);
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const cuts = fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 6 });
const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

describe.each(Object.entries(CASES))('%s parser', (_name, c) => {
  it(`any byte stream: never throws, every frame verifies by the reference check (${RUNS_ANY} streams)`, () => {
    // headers are sprinkled in so candidate frames are actually attempted, not only skipped
    const header = fc.constantFrom(...c.format.headers.map((h) => Uint8Array.from(h)));
    const piece = fc.oneof({ weight: 3, arbitrary: fc.uint8Array({ maxLength: 24 }) }, { weight: 1, arbitrary: header }, { weight: 1, arbitrary: c.valid.map((v) => v.subarray(0, 1 + Math.floor(v.length / 2))) });
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), cuts, (pieces, cs) => {
        const stream = concat(pieces);
        // plain booleans in the hot loop: fast-check reports the counterexample
        return run(c.format, stream, cs).every((f) => c.reference(f) && c.decode(f).every(Number.isFinite));
      }),
      { numRuns: RUNS_ANY },
    );
  }, TIMEOUT_MS);

  it(`valid frames between garbage and truncated frames are all recovered (${RUNS_FRAMED} streams)`, () => {
    const junk = fc.oneof(fc.uint8Array({ maxLength: 40 }), c.valid.map((v) => v.subarray(0, Math.max(1, v.length - 1))));
    fc.assert(
      fc.property(fc.array(fc.tuple(junk, c.valid), { minLength: 1, maxLength: 6 }), cuts, (parts, cs) => {
        const stream = concat(parts.flat());
        const frames = run(c.format, stream, cs);
        if (!frames.every(c.reference)) return false;
        // match output to inserted frames as multisets: junk plus the start of the next frame can
        // verify by chance (even equal to an inserted frame); such a frame counts as a collision
        const unmatched = parts.map(([, f]) => f);
        let chance = 0;
        for (const g of frames) {
          const i = unmatched.findIndex((f) => same(f, g));
          if (i >= 0) unmatched.splice(i, 1);
          else chance++;
        }
        return chance > 0 || unmatched.length === 0;
      }),
      { numRuns: RUNS_FRAMED },
    );
  }, TIMEOUT_MS);
});
