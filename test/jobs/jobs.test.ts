import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { jobsSchema } from '../../config/diagnostics.js';
import { SystemClock } from '../../drivers/bus/clock.js';
import { type FaultEvent, FaultRegistry } from '../../firmware/diagnostics/registry.js';
import { Jobs } from '../../firmware/jobs/jobs.js';
import { Scheduler } from '../../firmware/loop/scheduler.js';
import { globalFakeTimers } from '../helpers/clock.js';
import { silentLog } from '../helpers/drivers.js';

/** Half a second past a whole second: the first every-second run falls due 500 ms after the start. */
const START = Date.UTC(2026, 2, 1, 8, 0, 0, 500);

/**
 * node-cron keeps its own timers on the global setTimeout and Date; the test fakes both and runs
 * the jobs watcher's scheduler on the same fake clock, so every due time, every late start and
 * a blocked loop are exact, and a loaded machine cannot make a run late.
 */
describe('jobs on node-cron', () => {
  let jobs: Jobs | undefined;
  let scheduler: Scheduler | undefined;
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: START });
  });
  afterEach(() => {
    jobs?.stop();
    scheduler?.stop();
    vi.useRealTimers();
  });

  function rig(config: unknown): { reg: FaultRegistry; events: FaultEvent[]; calls: string[] } {
    const clock = new SystemClock({ assumeTrusted: true });
    const reg = new FaultRegistry(clock);
    const events: FaultEvent[] = [];
    reg.onEvent((e) => events.push(e));
    const calls: string[] = [];
    scheduler = new Scheduler(globalFakeTimers);
    jobs = new Jobs(
      jobsSchema.parse(config),
      {
        selfTest: async () => void calls.push('self-test'),
        healthReport: async () => void calls.push(`health-report at ${new Date().toISOString().slice(17, 23)}`),
        quietHours: (on, job) => void calls.push(`${job.name} quiet ${on ? 'on' : 'off'}`),
      },
      reg,
      scheduler,
      clock,
      silentLog,
      800,
    );
    jobs.start();
    return { reg, events, calls };
  }

  it('runs a job every second; a loop blocked across a due time is detected as JOB_MISSED and the next on-time run clears it', async () => {
    const { reg, events, calls } = rig([{ name: 'health', action: 'health-report', schedule: '* * * * * *' }]);
    await vi.advanceTimersByTimeAsync(2000);
    expect(calls).toEqual(['health-report at 01.000', 'health-report at 02.000']);
    expect(events).toEqual([]);
    // the loop is blocked for 2.6 s from 02.500: the clock moves on and every timer fires 2.6 s
    // after its time, node-cron's for the 03.000 run at 05.600
    vi.setSystemTime(Date.now() + 2600);
    await vi.advanceTimersByTimeAsync(600); // 05.700
    // 03.000 and 04.000 were skipped (node-cron does not replay them); the 05.000 run starts late
    expect(calls.at(-1)).toBe('health-report at 05.600');
    const missed = (): FaultEvent[] => events.filter((e) => e.fault.code === 'JOB_MISSED');
    expect(missed().map((e) => e.transition)).toEqual(['raised']);
    expect(missed()[0]?.fault.message).toBe('job health: node-cron skipped the run due 2026-03-01T08:00:03.000Z');
    expect(reg.isActive('JOB_MISSED', 'health')).toBe(true);
    // the next on-time run (06.000) clears it
    await vi.advanceTimersByTimeAsync(299); // 05.999
    expect(reg.isActive('JOB_MISSED', 'health')).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls.at(-1)).toBe('health-report at 06.000');
    expect(missed().map((e) => e.transition)).toEqual(['raised', 'cleared']);
    expect(reg.isActive('JOB_MISSED', 'health')).toBe(false);
    expect(jobs?.status()[0]).toMatchObject({ name: 'health', action: 'health-report', runs: 4, nextRun: '2026-03-01T08:00:07.000Z' });
    // 03.000 and 04.000, each counted once however many watchers saw it
    expect(jobs?.status()[0]?.missed).toBe(2);
  });

  it('a loop blocked for less than the tolerance is no missed run', async () => {
    const { events, calls } = rig([{ name: 'health', action: 'health-report', schedule: '* * * * * *' }]);
    await vi.advanceTimersByTimeAsync(1000);
    vi.setSystemTime(Date.now() + 700); // 03.000's run starts 700 ms late: within 800 ms
    await vi.advanceTimersByTimeAsync(2000);
    expect(calls).toEqual(['health-report at 01.000', 'health-report at 02.700', 'health-report at 03.000', 'health-report at 04.000']);
    expect(events).toEqual([]);
    expect(jobs?.status()[0]).toMatchObject({ runs: 4, missed: 0 });
  });

  it('quiet hours: state at start follows which of begin and end comes next', () => {
    // begins every minute at second 0 and ends at second 0 as well, one of them next: use patterns
    // whose next occurrences are known: begin yearly on 1 Jan, end every second → inside? no:
    // the end (next second) comes before the begin (next 1 Jan), so quiet hours are on now
    const { calls } = rig([{ name: 'night', action: 'quiet-hours', schedule: '0 0 0 1 1 *', until: '* * * * * *' }]);
    expect(calls).toEqual(['night quiet on']);
    expect(jobs?.quietHours).toBe(true);
  });

  it('refuses a bad cron pattern and a duplicate job name, naming the path', () => {
    const r = jobsSchema.safeParse([
      { name: 'a', action: 'self-test', schedule: '61 * * * * *' },
      { name: 'a', action: 'health-report', schedule: '*/5 * * * *' },
    ]);
    expect(r.success).toBe(false);
    const issues = r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(issues).toContain('0.schedule: "61 * * * * *" is not a cron pattern (six fields with seconds, e.g. "0 */15 * * * *", or five without)');
  });
});
