import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseProfile } from '../../config/load.js';
import { Runtime } from '../../firmware/runtime.js';
import type { Sample } from '../../firmware/reading.js';
import type { TelemetryPayload } from '../../firmware/uplink/payload.js';
import { silentLog } from '../helpers/drivers.js';
import { Mosquitto, Recorder } from '../helpers/mosquitto.js';
import { tempDir } from '../helpers/scratch.js';

/**
 * The pipeline inside the real runtime, to a real Mosquitto: a BME280 sampled every 100 ms whose
 * temperature leaves as 1 s aggregates (with their window on the wire) and whose pressure leaves
 * only on a 50 hPa change (never, in this world) plus the first value.
 */
describe('runtime with a signal pipeline → real Mosquitto', () => {
  let broker: Mosquitto;
  let dir: string;

  beforeAll(async () => {
    broker = await Mosquitto.start();
    dir = tempDir('pipe');
  });

  afterAll(async () => {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes aggregates with w {start, end, n} and holds back what did not change', async () => {
    const profile = parseProfile({
      box: { id: 'pipe-box' },
      uplink: { url: broker.url, batch: { maxDelay: 50 } },
      clock: { assumeTrusted: true },
      storage: { dir },
      buses: { i2c: [{ name: 'i2c1', simulated: true }] },
      devices: [
        {
          id: 'env',
          type: 'bme280',
          bus: 'i2c1',
          address: 0x76,
          interval: 100,
          channels: {
            temperature: { calibration: [{ offset: -0.5 }], report: { period: '1s', stats: ['mean', 'max'] } },
            pressure: { report: { delta: 50 } },
            humidity: { filters: [{ skip_initial: 1000 }] },
          },
        },
      ],
    });
    const rec = await Recorder.connect(broker.url, 'edgefw/pipe-box/telemetry');
    const local: Sample[] = [];
    const rt = new Runtime({ profile, log: silentLog, onSample: (s) => local.push(s) });
    await rt.start();
    try {
      const samples = (): TelemetryPayload['samples'][number][] => rec.on('/telemetry').flatMap((m) => (m.payload as TelemetryPayload).samples);
      await rec.waitFor('three aggregates', () => samples().filter((s) => s.kind === 'aggregate').length >= 3, 10_000);
      const aggregates = samples().filter((s) => s.kind === 'aggregate');
      // the first window runs from start to the next whole second; the next ones close on the
      // real clock, so their width and count follow the machine's load: exact widths and counts
      // are asserted on the fake clock (test/pipeline/demo.test.ts, test/pipeline/report.test.ts);
      // here, what travels: contiguous windows, each holding the samples of its span
      for (const [i, a] of aggregates.entries()) {
        expect(a.w).toBeDefined();
        expect(a.t).toBe(a.w?.end);
        expect(Object.keys(a.v).sort()).toEqual(['temperature', 'temperature_max']);
        expect(a.u.temperature).toBe('°C');
        expect(a.v.temperature_max).toBeGreaterThanOrEqual(a.v.temperature as number);
        if (i === 0) continue;
        expect(a.w?.start).toBe(aggregates[i - 1]?.w?.end); // windows are contiguous
        expect(a.w?.end).toBeGreaterThan(a.w?.start ?? Number.POSITIVE_INFINITY);
        expect(a.w?.n).toBeGreaterThanOrEqual(1);
      }
      const single = samples().filter((s) => s.kind === 'sample');
      // pressure: only the first value (the simulated world never moves it 50 hPa); humidity: none
      // in the skipped warm-up, so ~10 samples a second collapse into a handful of messages
      expect(single.filter((s) => 'pressure' in s.v)).toHaveLength(1);
      expect(single.some((s) => 'temperature' in s.v)).toBe(false);
      // what the runtime handed the uplink is what reached the broker
      const handed = local.length;
      await rec.waitFor('every handed sample on the wire', () => samples().length >= handed, 5000);
    } finally {
      await rt.stop();
      await rec.close();
    }
  }, 60_000);
});
