import { z } from 'zod';
import { validate } from 'node-cron';
import { duration } from '../drivers/schema-parts.js';

/** Host health limits and the health report (`health:` in a profile). */
export const healthSchema = z
  .strictObject({
    interval: duration('health.interval', { min: 1000, max: 3_600_000 }).default(30_000).meta({ description: 'how often host health is checked and the health report published' }),
    cpuHotC: z.number().min(30).max(120).default(75).meta({ description: 'CPU_HOT above this temperature, °C (a Pi throttles at 80–85 °C)' }),
    diskMinFreeMb: z.number().min(0).default(200).meta({ description: 'DISK_LOW when the data directory has less free space, MiB' }),
    diskMinFreePercent: z.number().min(0).max(100).default(5).meta({ description: 'DISK_LOW when the data directory has less free space, % of the file system' }),
    memMinAvailableMb: z.number().min(0).default(50).meta({ description: 'MEMORY_LOW when MemAvailable falls below, MiB' }),
    loopLagMs: z.number().min(1).default(250).meta({ description: 'EVENT_LOOP_LAG when the event loop was blocked longer than this (max over an interval), ms' }),
    clockGrace: duration('health.clockGrace', { min: 0, max: 86_400_000 }).default(300_000).meta({ description: 'CLOCK_UNSYNCED when wall time is still untrusted this long after start' }),
    root: z.string().default('/').meta({ description: 'where /sys and /proc are read from (tests point it at a fixture tree)' }),
  })
  .meta({ description: 'host health: CPU temperature, under-voltage, memory, disk, loop delay' });

const cronPattern = z.string().refine((s) => validate(s), { error: (iss) => `${JSON.stringify(iss.input)} is not a cron pattern (six fields with seconds, e.g. "0 */15 * * * *", or five without)` });

/** A profile-declared job (`jobs:`), run by node-cron on wall-clock time. */
export const jobSchema = z.discriminatedUnion('action', [
  z.strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/),
    action: z.literal('self-test').meta({ description: 'run the diag checks; SELF_TEST_FAILED while one fails; publishes the commissioning record on the first pass' }),
    schedule: cronPattern,
  }),
  z.strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/),
    action: z.literal('health-report').meta({ description: 'publish the host health report now (besides health.interval)' }),
    schedule: cronPattern,
  }),
  z.strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/),
    action: z.literal('quiet-hours').meta({ description: 'quiet hours begin at `schedule` and end at `until`; outputs listening for quiet hours (backlight, buzzer) follow' }),
    schedule: cronPattern,
    until: cronPattern,
  }),
]);

export type HealthConfig = z.infer<typeof healthSchema>;
export type JobConfig = z.infer<typeof jobSchema>;

export const jobsSchema = z
  .array(jobSchema)
  .default([])
  .superRefine((jobs, ctx) => {
    const seen = new Set<string>();
    jobs.forEach((j, i) => {
      if (seen.has(j.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `job name "${j.name}" is used twice` });
      seen.add(j.name);
    });
  })
  .meta({ description: 'scheduled jobs (node-cron patterns, box local time)' });
