import { FrameHunter } from '../drivers/bus/serial-frames.js';
import { modbusResponse, withCrc } from '../drivers/serial/modbus-rtu/parser.js';
import { encodeCo2, mhzFrame } from '../drivers/serial/mhz19b/parser.js';
import { nmeaFrame, sentence } from '../drivers/serial/nmea-gps/parser.js';
import { encodeMeasurement, pmsFrame } from '../drivers/serial/pms5003/parser.js';
import { encodeMeasurement as encodeSds, sdsFrame } from '../drivers/serial/sds011/parser.js';
import type { Benchmark, BenchResult } from './types.js';

/** A deterministic line: a random noise burst (up to 40 % of a frame) before a quarter of the frames, ~5 % of the bytes. */
function line(frame: Uint8Array, totalBytes: number): Uint8Array {
  const out = new Uint8Array(totalBytes);
  let s = 12345;
  const rand = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  let at = 0;
  while (at < totalBytes) {
    if (rand() < 0.25) {
      const n = Math.floor((frame.length * 0.4 * rand()) + 1);
      for (let i = 0; i < n && at < totalBytes; i++) out[at++] = Math.floor(rand() * 256);
    }
    for (let i = 0; i < frame.length && at < totalBytes; i++) out[at++] = frame[i] as number;
  }
  return out;
}

/**
 * Throughput of the serial frame hunter per protocol on a noisy line (~5 % noise bytes), fed
 * in 64-byte reads as a USB adapter delivers them. A 9600 Bd line carries 960 bytes/s, a
 * 115200 Bd line 11 520: the margin is how many such lines one core could parse.
 */
export const serialFramesBenchmark: Benchmark = {
  name: 'serial-frames',
  description: 'frame hunter throughput per serial protocol on a noisy line',
  async run({ seconds, log }): Promise<BenchResult> {
    const protocols = [
      { name: 'PMS5003', format: pmsFrame, frame: encodeMeasurement({ pm1_0_cf1: 5, pm2_5_cf1: 8, pm10_cf1: 8, pm1_0: 5, pm2_5: 8, pm10: 8, n0_3: 825, n0_5: 225, n1_0: 45, n2_5: 7, n5_0: 2, n10: 2, reserved: 0x9700 }) },
      { name: 'SDS011', format: sdsFrame, frame: encodeSds({ pm2_5: 123.6, pm10: 261.8, id: 0xa160 }) },
      { name: 'MH-Z19B', format: mhzFrame, frame: encodeCo2(608) },
      { name: 'NMEA GGA', format: nmeaFrame, frame: new TextEncoder().encode(sentence('GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,')) },
      { name: 'Modbus (10 registers)', format: modbusResponse(1), frame: withCrc([1, 3, 20, ...new Array<number>(20).fill(7)]) },
    ];
    const rows: (string | number)[][] = [];
    const perProtocolMs = Math.max(200, (seconds * 1000) / protocols.length);
    for (const p of protocols) {
      const data = line(p.frame, 1 << 20);
      const h = new FrameHunter(p.format);
      let bytes = 0;
      let frames = 0;
      const start = performance.now();
      while (performance.now() - start < perProtocolMs) {
        for (let i = 0; i < data.length; i += 64) frames += h.push(data.subarray(i, i + 64)).length;
        bytes += data.length;
      }
      const s = (performance.now() - start) / 1000;
      const mbps = bytes / s / 1e6;
      log(`${p.name}: ${mbps.toFixed(1)} MB/s`);
      rows.push([p.name, mbps.toFixed(1), Math.round(frames / s).toLocaleString('en'), Math.round((bytes / s) / 11_520).toLocaleString('en')]);
    }
    return {
      title: 'Serial frame hunter on a noisy line (~5 % noise bytes, 64-byte reads)',
      columns: ['protocol', 'MB/s', 'frames/s', '115200 Bd lines per core'],
      rows,
      notes: ['every frame handed out is checksum-verified; noise cuts in before frames, so the hunter skips and resyncs', 'a box needs a few lines at 9600 Bd (960 B/s each)'],
    };
  },
};
