/**
 * The NMEA parser against what real receivers sent: the logs of 78 receivers from gpsd's
 * regression suite (shared reference-data, gpsd-nmea/), with gpsd's own TPV output after each
 * GGA/RMC as the expected position. The logs are stored with bare LF; the receivers sent CR LF,
 * which is what is fed here (and a bare LF is accepted too, as gpsd's lexer does).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FrameHunter } from '../../../drivers/bus/serial-frames.js';
import { type GgaFix, type RmcFix, correctRollover, decodeSentence, nmeaFrame } from '../../../drivers/serial/nmea-gps/parser.js';
import { referenceData } from '../../helpers/reference-data.js';

type Tpv = { mode: number; time?: string; lat?: number; lon?: number };
const dir = referenceData('gpsd-nmea');
const expected = (JSON.parse(readFileSync(`${dir}/gpsd-tpv-after-sentence.json`, 'utf8')) as { logs: Record<string, [string, Tpv][]> }).logs;
const LOGS = readdirSync(dir).filter((f) => f.endsWith('.log')).sort();

/** Every GGA/RMC the frame hunter and parser get out of a log sent as a receiver sends it. */
function parseLog(file: string, lineEnd = '\r\n'): { text: string; fix: GgaFix | RmcFix }[] {
  const lines = readFileSync(`${dir}/${file}`, 'latin1').split('\n').filter((l) => !l.startsWith('#') && l.length > 0);
  const bytes = Buffer.from(lines.map((l) => l.replace(/\r$/, '') + lineEnd).join(''), 'latin1');
  const hunter = new FrameHunter(nmeaFrame);
  const out: { text: string; fix: GgaFix | RmcFix }[] = [];
  // in 64-byte chunks, as a UART delivers them
  for (let i = 0; i < bytes.length; i += 64) {
    for (const f of hunter.push(bytes.subarray(i, i + 64))) {
      const fix = decodeSentence(f);
      if (fix) out.push({ text: Buffer.from(f).toString('latin1').trimEnd(), fix });
    }
  }
  return out;
}

const hasPosition = (f: GgaFix | RmcFix): boolean => (f.kind === 'GGA' ? f.quality > 0 : f.valid) && f.latitude !== undefined && f.longitude !== undefined;

describe('real receiver logs (gpsd regression captures)', () => {
  it('reads the shared captures: 78 receiver logs', () => {
    expect(LOGS.length).toBe(78);
  });

  it.each(['mt3339.log', 'bt-q818.log', 'skytraq-fix.log', 'skytraq-fixB.log', 'skytraq-dgps.log'])('%s: GGA sentences longer than 82 characters give fixes', (file) => {
    const parsed = parseLog(file);
    const longGga = parsed.filter((p) => p.fix.kind === 'GGA' && p.text.length + 2 > 82);
    expect(longGga.length, 'the log has GGA sentences beyond NMEA 0183’s 82 characters').toBeGreaterThan(0);
    for (const p of longGga) expect(hasPosition(p.fix), p.text).toBe(true);
  });

  it('skytraq.log (a receiver still searching: gpsd reports no fix either): its 86-character GGA are read, not dropped', () => {
    const longGga = parseLog('skytraq.log').filter((p) => p.fix.kind === 'GGA' && p.text.length + 2 > 82);
    expect(longGga.length).toBeGreaterThan(0);
    for (const p of longGga) expect(hasPosition(p.fix)).toBe(false);
  });

  it('positions agree with gpsd to 1e-6° for every GGA/RMC gpsd reported a position after', () => {
    let compared = 0;
    const fixedLogs = new Set<string>();
    for (const file of LOGS) {
      const ours = new Map(parseLog(file).map((p) => [p.text, p.fix] as const));
      for (const [sentenceText, tpv] of expected[file] ?? []) {
        if (tpv.lat === undefined || tpv.lon === undefined) continue;
        const fix = ours.get(sentenceText.trimEnd());
        if (!fix || !hasPosition(fix)) continue;
        expect(Math.abs((fix.latitude as number) - tpv.lat), `${file} ${sentenceText}`).toBeLessThan(1e-6);
        expect(Math.abs((fix.longitude as number) - tpv.lon), `${file} ${sentenceText}`).toBeLessThan(1e-6);
        compared++;
        fixedLogs.add(file);
      }
    }
    // how much of gpsd's output we reproduce: logged so the figure is visible in the test output
    console.log(`GPS reference: ${compared} positions from ${fixedLogs.size} of ${LOGS.length} receiver logs agree with gpsd`);
    expect(fixedLogs.size).toBeGreaterThanOrEqual(63);
    for (const f of ['mt3339.log', 'bt-q818.log', 'skytraq-fix.log', 'rst39.log', 'humminbird-M37.log']) expect(fixedLogs.has(f), f).toBe(true);
  });

  it('talkers other than GP: IN (the Humminbird sonar/GPS), GN (multi-constellation), GL (GLONASS)', () => {
    const talkers = new Set<string>();
    for (const file of LOGS) for (const p of parseLog(file)) talkers.add(p.text.slice(1, 3));
    expect([...talkers].sort()).toEqual(['GL', 'GN', 'GP', 'IN']);
    // every GGA/RMC line of the 78 logs whose checksum verifies (computed here, independently)
    // is decoded, whatever its length or talker; those with a wrong checksum (firefly-II's GGA)
    // are refused, as gpsd refuses them (it reports no position after them)
    let good = 0;
    let bad = 0;
    for (const file of LOGS) {
      const decoded = new Set(parseLog(file).map((p) => p.text));
      for (const line of readFileSync(`${dir}/${file}`, 'latin1').match(/^\$[A-Z]{2}(GGA|RMC),[^*\r\n]*\*[0-9A-F]{2}/gm) ?? []) {
        const body = line.slice(1, -3);
        let x = 0;
        for (let i = 0; i < body.length; i++) x ^= body.charCodeAt(i);
        const valid = x === Number.parseInt(line.slice(-2), 16);
        if (valid) good++;
        else bad++;
        expect(decoded.has(line), `${file}: ${line}`).toBe(valid);
      }
    }
    console.log(`GPS reference: all ${good} GGA/RMC sentences with a valid checksum decoded; ${bad} with a wrong one refused`);
    expect(good).toBeGreaterThan(1500);
  });

  it('no-fix placeholder positions such as 8960.0000,N never become coordinates', () => {
    for (const file of ['mtk-3301.log', 'tn200.log', 'tr737A+.log']) {
      for (const p of parseLog(file)) {
        if (p.fix.latitude !== undefined) expect(Math.abs(p.fix.latitude)).toBeLessThanOrEqual(90);
        if (/,89\d\d\.\d+,[NS],/.test(p.text)) expect(p.fix.latitude).toBeUndefined();
      }
    }
  });

  it('a bare LF line end (logs, some receivers) is accepted as gpsd accepts it', () => {
    expect(parseLog('mt3339.log', '\n').length).toBe(parseLog('mt3339.log').length);
  });

  it('Telit HE910 after the April 2019 rollover: RMC 220899 is 1999-08-22, corrected by 1024 weeks to gpsd’s 2019-04-07', () => {
    const rmc = parseLog('april6_2019.log').filter((p) => p.fix.kind === 'RMC' && (p.fix as RmcFix).utcMs !== undefined);
    expect(rmc.length).toBeGreaterThan(0);
    const first = rmc[0]?.fix as RmcFix;
    expect(new Date(first.utcMs as number).toISOString()).toBe('1999-08-22T00:02:31.420Z');
    // the log's own date (2019-03-14) as the floor: gpsd's answer for the same sentence
    const gpsd = (expected['april6_2019.log'] ?? []).find(([, t]) => t.time)?.[1].time;
    const fixed = correctRollover(first.utcMs as number, Date.UTC(2019, 2, 14));
    expect(new Date(fixed.ms).toISOString()).toBe(gpsd);
    expect(fixed.rollovers).toBe(1);
    // the 2208-1 date of the sentence before it is refused, not read as a year
    expect(parseLog('april6_2019.log').some((p) => p.text.includes('2208-1') && (p.fix as RmcFix).utcMs !== undefined)).toBe(false);
  });
});
