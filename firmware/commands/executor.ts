import type { Logger } from 'pino';
import { type OutputControl, isOutputDriver, outputValue } from '../../drivers/outputs.js';
import type { Driver } from '../../drivers/types.js';
import { FAULTS, type FaultCode } from '../diagnostics/catalog.js';
import type { DiagReport } from '../diagnostics/diag.js';
import type { FaultRegistry } from '../diagnostics/registry.js';
import type { DeviceState } from '../device/running-device.js';
import type { RemoteUpdateArgs, RemoteUpdateStart } from '../lifecycle/remote.js';
import type { Scheduler } from '../loop/scheduler.js';
import type { CommandArgs, CommandName, CommandResult, VerifiedCommand } from './specs.js';

/** What commands act on; the runtime provides it. */
export interface CommandContext {
  readonly scheduler: Scheduler;
  readonly faults: FaultRegistry;
  readonly log: Logger;
  diagnose(): Promise<DiagReport>;
  devices(): readonly { readonly id: string; readonly driver: Driver; reprobe(): Promise<DeviceState> }[];
  /** `output` hold ceiling per device (a relay's maxOn), ms */
  maxHold(device: string): number | undefined;
  /** stop cleanly and exit so that systemd starts the service again */
  restart(): void;
  /** hand an update to `edgefw update URL` in a process of its own (firmware/lifecycle/remote.ts) */
  startUpdate(args: RemoteUpdateArgs): RemoteUpdateStart;
}

type Handler<N extends CommandName> = (args: CommandArgs<N>, c: VerifiedCommand, ctx: CommandContext, ex: CommandExecutor) => Promise<CommandResult>;

const ok = (result: Record<string, unknown>): CommandResult => ({ ok: true, result });
const fail = (reason: string, error: string): CommandResult => ({ ok: false, reason, error });

/** Default and ceiling of an `output` command's hold, ms. */
export const OUTPUT_HOLD_DEFAULT_MS = 60_000;

/**
 * One handler per command of the registry (TypeScript refuses a spec without one). Handlers get
 * arguments the worker has already checked against the spec's schema.
 */
const HANDLERS: { [N in CommandName]: Handler<N> } = {
  diag: async (_a, _c, ctx) => ok({ report: await ctx.diagnose() }),

  ack: async (a, c, ctx) => {
    if (a.code !== undefined && !(a.code in FAULTS)) return fail('bad-args', `ack: ${a.code} is not a fault code (docs/faults.md)`);
    const n = ctx.faults.acknowledge(a.code as FaultCode | undefined, a.subject);
    ctx.log.info({ code: a.code, subject: a.subject, acknowledged: n, signer: c.signer }, 'faults acknowledged by command');
    return ok({ acknowledged: n });
  },

  output: async (a, c, ctx, ex) => {
    const dev = ctx.devices().find((d) => d.id === a.device);
    if (!dev || !isOutputDriver(dev.driver)) return fail('bad-args', `output: ${a.device} is not an output device of this box`);
    const controls = dev.driver.outputs();
    const control = a.output === undefined ? controls[0] : controls.find((o) => o.name === a.output);
    if (!control) return fail('bad-args', `output: ${a.device} has no output ${a.output ?? ''} (${controls.map((o) => o.name).join(', ')})`);
    const value = outputValue(a.value, control.pwm);
    if (value === undefined) return fail('bad-args', `output: ${String(a.value)} is not a value for ${a.device}/${control.name} (${control.pwm ? 'on, off or 0..1' : 'on, off, 0 or 1'})`);
    const hold = Math.min(a.hold ?? OUTPUT_HOLD_DEFAULT_MS, ctx.maxHold(a.device) ?? Number.POSITIVE_INFINITY);
    try {
      await control.set(value, `command ${c.nonce.slice(0, 8)} by ${c.signer}`);
    } catch (e) {
      return fail('device', `output: ${a.device}/${control.name}: ${(e as Error).message}`);
    }
    ex.holdOutput(`${a.device}/${control.name}`, control, hold);
    return ok({ device: a.device, output: control.name, value, holdMs: hold, safe: control.safe });
  },

  reprobe: async (a, c, ctx) => {
    const dev = ctx.devices().find((d) => d.id === a.device);
    if (!dev) return fail('bad-args', `reprobe: no device ${a.device}`);
    ctx.log.info({ device: a.device, signer: c.signer }, 'reprobe by command');
    return ok({ device: a.device, state: await dev.reprobe() });
  },

  restart: async (_a, c, ctx) => {
    ctx.log.warn({ signer: c.signer }, 'restart by command');
    // the reply leaves first; then a clean stop (outputs safe, outbox flushed)
    ctx.scheduler.after(500, () => ctx.restart());
    return ok({ restarting: true });
  },

  update: async (a, c, ctx) => {
    if (a.settle !== undefined && a.window !== undefined && a.settle >= a.window) return fail('bad-args', 'update: settle must be shorter than window');
    const r = ctx.startUpdate(a);
    if (!r.ok) return fail(r.reason, `update: ${r.error}`);
    ctx.log.warn({ url: a.url, signer: c.signer, pid: r.pid }, 'update by command: progress on the update topic');
    return ok({ accepted: true, log: r.log });
  },
};

/**
 * Runs verified commands on the sampling thread. An output set by command falls back to its
 * safe value when its hold ends (its own timer, whatever happens to the broker or the sender);
 * a newer command on the same output replaces the timer.
 */
export class CommandExecutor {
  private readonly holds = new Map<string, () => void>();

  constructor(private readonly ctx: CommandContext) {}

  run(c: VerifiedCommand): Promise<CommandResult> {
    const handler = HANDLERS[c.cmd] as Handler<CommandName>;
    return handler(c.args as never, c, this.ctx, this);
  }

  holdOutput(key: string, control: OutputControl, holdMs: number): void {
    this.holds.get(key)?.();
    if (control.get() === control.safe) {
      this.holds.delete(key);
      return;
    }
    const cancel = this.ctx.scheduler.after(holdMs, () => {
      this.holds.delete(key);
      control.set(control.safe, `command hold of ${Math.round(holdMs / 1000)} s over`).catch((e: unknown) => {
        this.ctx.log.error({ output: key, err: e }, 'could not return the output to its safe state after its hold');
      });
    });
    this.holds.set(key, cancel);
  }

  /** Cancel hold timers (the runtime drives every output safe at stop anyway). */
  stop(): void {
    for (const cancel of this.holds.values()) cancel();
    this.holds.clear();
  }
}
