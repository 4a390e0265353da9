import { setTimeout as sleep } from 'node:timers/promises';
import { SystemClock } from '../../drivers/bus/clock.js';
import { SerialHub } from '../../drivers/bus/serial-hub.js';
import { simulatorFor } from '../../drivers/sim/registry.js';
import { SimulatedSerialPorts } from '../../drivers/sim/serial-mock.js';
import type { SerialSimDevice } from '../../drivers/sim/serial-device.js';
import type { ChannelValue, DeviceCommon, DeviceDefinition, Driver, ReadResult } from '../../drivers/types.js';
import { deviceContext, deviceOptions } from './drivers.js';

let rigCount = 0;

export interface SerialRig<O extends DeviceCommon> {
  readonly clock: SystemClock;
  readonly hub: SerialHub;
  readonly sim: SerialSimDevice;
  readonly driver: Driver;
  readonly options: O;
  readonly path: string;
}

/**
 * The real driver over serialport's mock binding with the type's simulator behind it (the
 * `simulated: true` path of a profile). Real time: the simulator streams on its own pump.
 */
export function mockSerialRig<O extends DeviceCommon>(
  def: DeviceDefinition<O>,
  entry: Record<string, unknown> = {},
  sim?: (clock: SystemClock) => SerialSimDevice,
  clock = new SystemClock({ assumeTrusted: true }),
): SerialRig<O> {
  if (!def.serial) throw new Error(`${def.type} is not a serial device`);
  const path = `/dev/serial/by-id/sim-${def.type}-${++rigCount}`;
  const hub = new SerialHub(new SimulatedSerialPorts(5));
  const options = deviceOptions(def, { ...def.example, port: path, simulated: true, ...entry });
  const s = sim ? sim(clock) : (simulatorFor(options, clock) as SerialSimDevice);
  hub.simulate(path, options.id, () => s);
  const driver = def.create(options, deviceContext(clock, { serial: hub }));
  return { clock, hub, sim: s, driver, options, path };
}

/** Run a read to completion, sleeping each wait the driver asks for, as the scheduler would. */
export async function readRealtime(driver: Driver): Promise<readonly ChannelValue[]> {
  let r: ReadResult = await driver.read();
  let steps = 0;
  while ('waitMs' in r) {
    if (++steps > 1000) throw new Error('driver asked to wait more than 1000 times');
    await sleep(r.waitMs);
    r = await r.next();
  }
  return r.values;
}

/**
 * How long a wait below goes on before it calls a thing missing: at least this, whatever the
 * caller's figure. The waits assert what arrives, not how soon (a loaded 2-core CI machine can
 * stall a process for seconds); how soon is a benchmark's question.
 */
const PATIENCE_MS = 10_000;

/** Read every `everyMs` until the driver yields values that satisfy `accept` (or throw after `withinMs`, at least PATIENCE_MS). */
export async function readUntilValues(
  driver: Driver,
  accept: (v: readonly ChannelValue[]) => boolean = () => true,
  withinMs = 5000,
  everyMs = 50,
): Promise<readonly ChannelValue[]> {
  const end = performance.now() + Math.max(withinMs, PATIENCE_MS);
  let last: unknown;
  while (performance.now() < end) {
    try {
      const v = await readRealtime(driver);
      if (v.length > 0 && accept(v)) return v;
      if (v.length > 0) last = new Error(`values not accepted: ${JSON.stringify(v)}`);
    } catch (e) {
      last = e;
    }
    await sleep(everyMs);
  }
  throw new Error(`no values within ${Math.max(withinMs, PATIENCE_MS)} ms${last ? `; last error: ${(last as Error).message}` : ''}`);
}

/** Wait until `cond` holds, polling (for `withinMs`, at least PATIENCE_MS). */
export async function until(cond: () => boolean, withinMs = 5000, what = 'condition'): Promise<void> {
  const end = performance.now() + Math.max(withinMs, PATIENCE_MS);
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export function value(values: readonly ChannelValue[], channel: string): number {
  const v = values.find((x) => x.channel === channel);
  if (!v) throw new Error(`no ${channel} in ${JSON.stringify(values)}`);
  return v.value;
}

/** Runs for property tests: EDGEFW_FUZZ_RUNS (total generated streams per parser). */
export function fuzzRuns(defaultRuns: number): number {
  const env = process.env.EDGEFW_FUZZ_RUNS;
  if (env === undefined || env === '') return defaultRuns;
  const n = Number(env);
  if (!Number.isInteger(n) || n < 1) throw new Error(`EDGEFW_FUZZ_RUNS=${env} is not a positive integer`);
  return n;
}
