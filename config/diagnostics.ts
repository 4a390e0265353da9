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
    action: z.literal('quiet-hours').meta({ description: 'quiet hours begin at `schedule` and end at `until`; the listed outputs are set for the night and put back after' }),
    schedule: cronPattern,
    until: cronPattern,
    outputs: z
      .array(
        z.strictObject({
          device: z.string().meta({ description: 'id of an output device (gpio-output, firmata)' }),
          output: z.string().optional().meta({ description: 'output name within the device (default: its first output)' }),
          value: z.union([z.number().min(0).max(1), z.enum(['on', 'off'])]).default(0).meta({ description: 'value during quiet hours: 0..1 (PWM duty), on or off' }),
        }),
      )
      .default([]),
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

/** Cross-references of jobs into the device list, for the profile's refinement. */
export function jobProblems(jobs: readonly JobConfig[], deviceIds: readonly string[]): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  jobs.forEach((j, i) => {
    if (j.action !== 'quiet-hours') return;
    j.outputs.forEach((o, k) => {
      if (!deviceIds.includes(o.device)) out.push({ path: ['jobs', i, 'outputs', k, 'device'], message: `"${o.device}" is not a device in this profile (${deviceIds.join(', ') || 'none'})` });
    });
  });
  return out;
}
