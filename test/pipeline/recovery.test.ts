import { describe, expect, it } from 'vitest';
import { bme280 } from '../../drivers/i2c/bme280/index.js';
import type { Bme280Simulator } from '../../drivers/i2c/bme280/simulator.js';
import { SimulatedI2cBus } from '../../drivers/sim/i2c-bus.js';
import { RunningDevice } from '../../firmware/device/running-device.js';
import { FaultRegistry } from '../../firmware/diagnostics/registry.js';
import { Scheduler } from '../../firmware/loop/scheduler.js';
import { FakeTimers } from '../../firmware/loop/timers.js';
import { Chain } from '../../firmware/pipeline/chain.js';
import { SignalPipeline } from '../../firmware/pipeline/pipeline.js';
import type { Sample } from '../../firmware/reading.js';
import { deviceContext, deviceOptions, silentLog } from '../helpers/drivers.js';
import { fakeClock } from './helpers.js';
import { simulatorFor } from '../../drivers/sim/registry.js';

describe('warm-up starts over when a device comes back', () => {
  it('Chain.reset forgets windows, warm-up and periods', () => {
    const chain = new Chain({ filters: [{ kind: 'skip_initial', samples: 1, ms: 0 }, { kind: 'sliding_average', window: 3, sendEvery: 1 }] });
    const out = (v: number, t: number): number | undefined => (chain.push(v, t) ? chain.value : undefined);
    expect([out(9, 0), out(1, 1), out(3, 2)]).toEqual([undefined, 1, 2]);
    chain.reset();
    expect([out(9, 3), out(5, 4)]).toEqual([undefined, 5]); // skipped again; the old 1 and 3 are gone
  });

  it('a BME280 unplugged and replugged: the runner re-inits it and its skip_initial applies again', async () => {
    const timers = new FakeTimers();
    const clock = fakeClock(timers);
    const scheduler = new Scheduler(timers);
    const bus = new SimulatedI2cBus('i2c1');
    const o = deviceOptions(bme280, { id: 'env', bus: 'i2c1', address: 0x76, interval: 100 });
    const sim = simulatorFor(o, clock) as Bme280Simulator;
    bus.attach(0x76, sim);
    const reported: Sample[] = [];
    const raw: Sample[] = [];
    const pipeline = new SignalPipeline([{ id: 'env', channels: { temperature: { filters: [{ kind: 'skip_initial', samples: 3, ms: 0 }] } } }], { scheduler, clock, emit: (s) => reported.push(s) });
    const runner = new RunningDevice(
      bme280.create(o, { ...deviceContext(clock, { i2c: bus }), id: 'env' }),
      { id: 'env', type: 'bme280', intervalMs: 100, phaseMs: 0, timeoutMs: 50, backoffMinMs: 1000, backoffMaxMs: 1000 },
      {
        scheduler,
        clock,
        faults: new FaultRegistry(clock),
        sink: (s) => {
          raw.push(s);
          pipeline.push(s);
        },
        log: silentLog,
        onInit: (id) => pipeline.restart(id),
      },
    );
    const withTemperature = (): number => reported.filter((s) => s.values.some((v) => v.channel === 'temperature')).length;
    runner.start();
    await timers.advance(1000);
    const firstRaw = raw.length;
    expect(withTemperature()).toBe(firstRaw - 3); // the first 3 were the warm-up
    sim.faults.unplug();
    await timers.advance(1000);
    expect(runner.state).toBe('failed');
    const beforeReplug = withTemperature();
    const rawBeforeReplug = raw.length;
    sim.faults.replug();
    await timers.advance(3000);
    expect(runner.state).toBe('ok');
    const after = raw.length - rawBeforeReplug;
    expect(after).toBeGreaterThan(5);
    // warm-up again: 3 fewer temperatures than raw samples since the part came back
    expect(withTemperature() - beforeReplug).toBe(after - 3);
    await runner.stop();
  });
});
