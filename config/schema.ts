import { z } from 'zod';
import { DEVICE_TYPES } from '../drivers/registry.js';
import { duration } from '../drivers/schema-parts.js';
import { hex } from '../drivers/bus/i2c.js';
import { type ChannelConfig, channelConfig } from './channel.js';
import { pipelineProblems } from './pipeline.js';
import type { DeviceCommon } from '../drivers/types.js';
import { healthSchema, jobProblems, jobsSchema } from './diagnostics.js';
import { brokerUrl, credentialKeys, transportProblems } from './transport.js';
import { commandsSchema } from './commands.js';
import { siteSchema } from './site.js';

const ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const idString = (what: string): z.ZodString =>
  z.string().regex(ID, { error: (iss) => `${JSON.stringify(iss.input)} is not a valid ${what} (lower-case letters, digits, - and _, up to 63)` });

/** Keys every device entry has, whatever its type. */
export const deviceCommon = {
  id: idString('device id').meta({ description: 'stable device id; appears in topics and payloads' }),
  name: z.string().optional().meta({ description: 'human description, e.g. "kiosk ceiling sensor"' }),
  interval: duration('interval', { min: 10, max: 86_400_000 }).default(1000).meta({ description: 'sampling interval' }),
  phase: duration('phase', { min: 0, max: 86_400_000 }).optional().meta({ description: 'offset of the sample times within the interval; default 0: devices with the same interval sample together, in one wake-up' }),
  timeout: duration('timeout', { min: 1, max: 600_000 }).default(1000).meta({ description: 'a read taking longer fails with DEVICE_TIMEOUT' }),
  enabled: z.boolean().default(true),
  channels: z.record(z.string(), channelConfig).default({}).meta({ description: 'per-channel checks, calibration and reporting' }),
};

const deviceSchemas = DEVICE_TYPES.map((d) => z.strictObject({ ...deviceCommon, ...d.options }));

/** A validated device entry: the common keys plus the driver's own options. */
export type DeviceConfig = DeviceCommon & { readonly channels: Record<string, ChannelConfig>; readonly name?: string } & Record<string, unknown>;

export const deviceSchema = z.discriminatedUnion(
  'type',
  deviceSchemas as unknown as [z.ZodObject, ...z.ZodObject[]],
) as unknown as z.ZodType<DeviceConfig>;

export const i2cBusSchema = z.strictObject({
  name: idString('bus name'),
  bus: z.number().int().min(0).max(255).optional().meta({ description: 'N of /dev/i2c-N (required unless simulated)' }),
  simulated: z.boolean().default(false).meta({ description: 'route transfers to register-level simulators' }),
});

export const gpioBusSchema = z.strictObject({
  name: idString('bus name'),
  simulated: z.boolean().default(false).meta({ description: 'a simulated header whose lines the demo world (or a test) drives' }),
  chip: z.string().optional().meta({ description: 'label of the gpiochip driving the header when it is not a Raspberry Pi (see /sys/class/gpio/gpiochip*/label)' }),
  sysfsRoot: z.string().default('/sys/class/gpio').meta({ description: 'where the gpiochip list is read; tests point it at a fixture tree' }),
  stateDir: z.string().optional().meta({ description: 'simulated only: keep output levels in files here, so they survive the process like a real pin latch' }),
});

export const uplinkSchema = z.strictObject({
  url: brokerUrl,
  topicPrefix: z.string().regex(/^[^#+\s]+$/).default('edgefw').meta({ description: 'topics are <prefix>/<box id>/…' }),
  clientId: z.string().min(1).max(128).optional().meta({ description: "default: derived from the box's identity key, unique and unguessable" }),
  ...credentialKeys,
  keepalive: duration('keepalive', { min: 1000, max: 3_600_000 }).default(30_000),
  batch: z
    .strictObject({
      maxSamples: z.number().int().min(1).max(10_000).default(200),
      maxDelay: duration('batch.maxDelay', { min: 1, max: 60_000 }).default(250),
    })
    .prefault({})
    .meta({ description: 'samples are published in batches of at most maxSamples, at least every maxDelay' }),
  reconnect: z
    .strictObject({
      min: duration('reconnect.min', { min: 100, max: 600_000 }).default(1000),
      max: duration('reconnect.max', { min: 100, max: 3_600_000 }).default(60_000),
    })
    .prefault({})
    .meta({ description: 'reconnect backoff: doubles from min up to max, with jitter' }),
  protocolVersion: z.union([z.literal(4), z.literal(5)]).default(5).meta({ description: '5 = MQTT 5, falling back to 3.1.1 when the broker refuses it; 4 = 3.1.1 only' }),
  outbox: z
    .strictObject({
      enabled: z.boolean().default(true).meta({ description: 'keep readings on disk until the broker has them (off: memory only, lost on restart)' }),
      file: z.string().min(1).default('outbox.db').meta({ description: 'SQLite file, relative to storage.dir' }),
      commitInterval: duration('outbox.commitInterval', { min: 10, max: 10_000 }).default(250).meta({ description: 'readings are committed (fsync) at most this often; a power cut loses the readings of at most one interval plus 50 ms' }),
      maxRows: z.number().int().min(10).max(100_000_000).default(1_000_000).meta({ description: 'readings kept at most' }),
      maxBytes: z.number().int().min(4096).default(256 * 1024 * 1024).meta({ description: 'bytes of stored readings at most' }),
      maxAge: duration('outbox.maxAge', { min: 0 }).default(30 * 24 * 3_600_000).meta({ description: 'readings older than this are dropped; 0 = no limit' }),
      policy: z.enum(['drop-oldest', 'reject-new']).default('drop-oldest').meta({ description: 'when full: drop the oldest readings, or refuse new ones (every drop is counted)' }),
      drainRate: z.number().int().min(0).default(2000).meta({ description: 'backlog readings per second after an outage, behind live readings; 0 = no limit' }),
      memoryRing: z.number().int().min(10).max(10_000_000).default(20_000).meta({ description: 'readings held in memory while the disk is full or read-only' }),
    })
    .prefault({})
    .meta({ description: 'the durable outbox (store and forward)' }),
  embeddedBroker: z
    .strictObject({ port: z.number().int().min(0).max(65535).default(1883), host: z.string().default('127.0.0.1') })
    .optional()
    .meta({ description: 'start an in-process MQTT broker (demo and laptops only; loopback only)' }),
});

export const profileSchema = z
  .strictObject({
    box: z.strictObject({
      id: idString('box id'),
      site: z.string().optional(),
      description: z.string().optional(),
    }),
    uplink: uplinkSchema.prefault({}),
    clock: z
      .strictObject({ assumeTrusted: z.boolean().default(false).meta({ description: 'trust wall time without NTP or GPS (boxes with an RTC, the demo)' }) })
      .prefault({}),
    storage: z.strictObject({ dir: z.string().min(1).default('/var/lib/edgefw') }).prefault({}),
    buses: z.strictObject({ i2c: z.array(i2cBusSchema).default([]), gpio: z.array(gpioBusSchema).default([]) }).prefault({}),
    devices: z.array(deviceSchema).default([]),
    health: healthSchema.prefault({}),
    jobs: jobsSchema,
    commands: commandsSchema.meta({ description: 'signed commands: the trust list and the limits on command messages (docs/security.md)' }),
    site: siteSchema,
  })
  .superRefine((p, ctx) => {
    for (const pr of transportProblems(p.uplink)) ctx.addIssue({ code: 'custom', path: ['uplink', ...pr.path], message: pr.message });
    const busNames = new Map<string, string>();
    p.buses.i2c.forEach((b, i) => {
      if (busNames.has(b.name)) ctx.addIssue({ code: 'custom', path: ['buses', 'i2c', i, 'name'], message: `bus name "${b.name}" is used twice` });
      busNames.set(b.name, 'i2c');
      if (!b.simulated && b.bus === undefined) ctx.addIssue({ code: 'custom', path: ['buses', 'i2c', i, 'bus'], message: 'a real I²C bus needs its number (N of /dev/i2c-N)' });
    });
    p.buses.gpio.forEach((b, i) => {
      if (busNames.has(b.name)) ctx.addIssue({ code: 'custom', path: ['buses', 'gpio', i, 'name'], message: `bus name "${b.name}" is used twice` });
      busNames.set(b.name, 'gpio');
    });
    const gpioLines = new Map<string, string>();
    const ids = new Set<string>();
    const i2cAddresses = new Map<string, string>();
    const serialPorts = new Map<string, { id: string; shared: boolean; baud: unknown }>();
    const serialUnits = new Map<string, string>();
    p.devices.forEach((d, i) => {
      if (ids.has(d.id)) ctx.addIssue({ code: 'custom', path: ['devices', i, 'id'], message: `device id "${d.id}" is used twice` });
      ids.add(d.id);
      const def = DEVICE_TYPES.find((t) => t.type === d.type);
      const dev = d as { bus?: string; address?: number };
      if (def && def.bus !== 'host' && typeof dev.bus === 'string') {
        const kind = busNames.get(dev.bus);
        if (kind === undefined) {
          const known = [...busNames.keys()].filter((n) => busNames.get(n) === def.bus);
          ctx.addIssue({ code: 'custom', path: ['devices', i, 'bus'], message: `"${dev.bus}" is not a bus in buses.${def.bus} (${known.join(', ') || 'none declared'})` });
        } else if (kind !== def.bus) {
          ctx.addIssue({ code: 'custom', path: ['devices', i, 'bus'], message: `"${dev.bus}" is a ${kind} bus; a ${d.type} sits on ${def.bus}` });
        }
        if (def.bus === 'i2c' && typeof dev.address === 'number' && d.enabled) {
          const key = `${dev.bus}/${dev.address}`;
          const other = i2cAddresses.get(key);
          if (other) ctx.addIssue({ code: 'custom', path: ['devices', i, 'address'], message: `${hex(dev.address)} on ${dev.bus} is already taken by device "${other}"` });
          else i2cAddresses.set(key, d.id);
        }
        const line = (dev as { line?: unknown }).line;
        if (def.bus === 'gpio' && typeof line === 'number' && d.enabled) {
          const key = `${dev.bus}/${line}`;
          const other = gpioLines.get(key);
          if (other) ctx.addIssue({ code: 'custom', path: ['devices', i, 'line'], message: `GPIO${line} on ${dev.bus} is already used by device "${other}"` });
          else gpioLines.set(key, d.id);
        }
      }
      for (const problem of def?.check?.(d as never) ?? []) {
        ctx.addIssue({ code: 'custom', path: ['devices', i, ...problem.path], message: problem.message });
      }
      // a serial port carries one device, except an RS-485 line of Modbus slaves at one speed
      const sp = d as { port?: unknown; baud?: unknown };
      if (def?.serial && typeof sp.port === 'string' && d.enabled) {
        const other = serialPorts.get(sp.port);
        if (other && !(other.shared && def.serial.shared)) {
          ctx.addIssue({ code: 'custom', path: ['devices', i, 'port'], message: `${sp.port} is already used by device "${other.id}"; only RS-485 (Modbus) devices can share a port` });
        } else if (other && other.baud !== sp.baud) {
          ctx.addIssue({ code: 'custom', path: ['devices', i, 'baud'], message: `${String(sp.baud)} Bd differs from device "${other.id}" on the same line (${String(other.baud)} Bd)` });
        } else if (!other) serialPorts.set(sp.port, { id: d.id, shared: def.serial.shared, baud: sp.baud });
        const unit = (d as { unit?: unknown }).unit;
        if (def.serial.shared && typeof unit === 'number') {
          const key = `${sp.port} ${unit}`;
          const same = serialUnits.get(key);
          if (same) ctx.addIssue({ code: 'custom', path: ['devices', i, 'unit'], message: `unit ${unit} on ${sp.port} is already device "${same}"; every slave on a line needs its own unit id` });
          else serialUnits.set(key, d.id);
        }
      }
      if (def) {
        const specs = def.channels(d as never);
        const names = specs.map((c) => c.name);
        for (const ch of Object.keys(d.channels)) {
          if (!names.includes(ch)) ctx.addIssue({ code: 'custom', path: ['devices', i, 'channels', ch], message: `a ${d.type} has no channel "${ch}" (${names.join(', ')})` });
        }
        for (const spec of specs) {
          const cfg = d.channels[spec.name];
          if (cfg) for (const pr of pipelineProblems(cfg, spec, d.interval)) ctx.addIssue({ code: 'custom', path: ['devices', i, 'channels', spec.name, ...pr.path], message: pr.message });
        }
      }
    });
    for (const problem of jobProblems(p.jobs, p.devices.map((d) => d.id))) ctx.addIssue({ code: 'custom', ...problem });
  });

export type Profile = z.infer<typeof profileSchema>;
