import { afterEach, describe, expect, it } from 'vitest';
import { jobsSchema } from '../../config/diagnostics.js';
import { SystemClock } from '../../drivers/bus/clock.js';
import { type FaultEvent, FaultRegistry } from '../../firmware/diagnostics/registry.js';
import { Jobs } from '../../firmware/jobs/jobs.js';
import { Scheduler } from '../../firmware/loop/scheduler.js';
import { silentLog } from '../helpers/drivers.js';

/** A liveness wait: what the jobs do, not how soon (the machine may be loaded). */
async function eventually(what: string, p: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!p()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('jobs on node-cron', () => {
  let jobs: Jobs | undefined;
  let scheduler: Scheduler | undefined;
  afterEach(() => {
    jobs?.stop();
    scheduler?.stop();
  });

  function rig(config: unknown): { reg: FaultRegistry; events: FaultEvent[]; calls: string[] } {
    const clock = new SystemClock({ assumeTrusted: true });
    const reg = new FaultRegistry(clock);
    const events: FaultEvent[] = [];
    reg.onEvent((e) => events.push(e));
    const calls: string[] = [];
    scheduler = new Scheduler();
    jobs = new Jobs(
      jobsSchema.parse(config),
      {
        selfTest: async () => void calls.push('self-test'),
        healthReport: async () => void calls.push('health-report'),
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
    // liveness waits: node-cron runs on the real clock, and a loaded machine only makes runs late
    await eventually('two runs', () => calls.length >= 2);
    expect(reg.isActive('JOB_MISSED', 'health')).toBe(false);
    const until = performance.now() + 2600;
    while (performance.now() < until) {
      /* the loop is blocked across two due times */
    }
    // the detection is immediate; the next on-time run may clear it within the same second,
    // so the test reads the transitions rather than a snapshot
    await eventually('JOB_MISSED raised and cleared', () => events.filter((e) => e.fault.code === 'JOB_MISSED').length >= 2);
    const missed = events.filter((e) => e.fault.code === 'JOB_MISSED');
    expect(missed.map((e) => e.transition)).toEqual(['raised', 'cleared']);
    expect(missed[0]?.fault.message).toMatch(/^job health: (no run for the time due|started \d+ ms late|node-cron skipped the run due)/);
    expect(reg.isActive('JOB_MISSED', 'health')).toBe(false);
    expect(jobs?.status()[0]).toMatchObject({ name: 'health', action: 'health-report' });
    expect(jobs?.status()[0]?.missed).toBeGreaterThanOrEqual(1);
  }, 60_000);

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
