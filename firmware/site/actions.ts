import type { Logger } from 'pino';
import { type ProbeReport, probeSerial } from '../../tools/commands/probe-serial.js';
import { COMMAND_SPECS, checkArgs } from '../commands/specs.js';
import { redact } from '../support/redact.js';
import { type ActionLogEntry, appendAction } from './action-log.js';
import { type DiagCheck, type DiagReport, busChecks } from '../diagnostics/diag.js';
import type { SiteSource } from './state.js';


/** Who asked: the name typed at login and the client address. */
export interface Actor {
  readonly who: string;
  readonly client: string;
}

export type ActionName = 'selftest' | 'i2c-scan' | 'serial-probe' | 'reprobe' | 'commission' | SiteCommand;
export const ACTIONS: readonly ActionName[] = ['selftest', 'i2c-scan', 'serial-probe', 'reprobe', 'commission', 'ack', 'output'];
/** Commands of the signed-command registry the page can give, when site.http.allow grants them. */
export type SiteCommand = 'ack' | 'output';
export const SITE_COMMANDS: readonly SiteCommand[] = ['ack', 'output'];

export type ActionResult =
  | { readonly ok: true; readonly action: 'selftest' | 'commission'; readonly report: DiagReport; readonly commissioned: boolean }
  | { readonly ok: true; readonly action: 'i2c-scan'; readonly checks: readonly DiagCheck[] }
  | { readonly ok: true; readonly action: 'serial-probe'; readonly probe: ProbeReport }
  | { readonly ok: true; readonly action: 'reprobe'; readonly device: string }
  | { readonly ok: true; readonly action: SiteCommand; readonly result: Record<string, unknown> }
  | { readonly ok: false; readonly action: ActionName; readonly status: number; readonly error: string };

/** Ports a technician may probe: USB adapters and the board's UARTs, never an arbitrary file. */
const PORT = /^\/dev\/(serial\/by-(id|path)\/[\w.:+@,-]{1,200}|tty(USB|ACM|AMA|S)\d{1,3}|serial[01])$/;


/**
 * The page's actions. One at a time (a second is refused with 409 while one runs), each logged
 * with who did it — in the service log and in <state dir>/site-actions.log (bounded, one
 * rotation), which the support bundle carries.
 */
export class SiteActions {
  private running: ActionName | undefined;

  constructor(
    private readonly src: SiteSource,
    private readonly log: Logger,
    /** commands a logged-in technician may give (site.http.allow) */
    private readonly allow: readonly SiteCommand[] = [],
  ) {}

  get busy(): ActionName | undefined {
    return this.running;
  }

  async run(action: ActionName, args: Readonly<Record<string, unknown>>, actor: Actor): Promise<ActionResult> {
    if (this.running) return { ok: false, action, status: 409, error: `${this.running} is running` };
    this.running = action;
    const strArgs: Record<string, string> = {};
    for (const [k, v] of Object.entries(args)) if (typeof v === 'string' || typeof v === 'number') strArgs[k] = String(v).slice(0, 200);
    let result: ActionResult;
    try {
      // reports quote the broker URL and error texts: never a credential on the page
      result = redact(SITE_COMMANDS.includes(action as SiteCommand) ? await this.command(action as SiteCommand, args, actor) : await this.perform(action, strArgs)) as ActionResult;
    } catch (e) {
      result = { ok: false, action, status: 500, error: (e as Error).message };
    } finally {
      this.running = undefined;
    }
    const outcome = !result.ok ? `refused: ${result.error}` : 'report' in result ? result.report.verdict : 'done';
    this.record({ t: new Date(this.src.clock.wallMs()).toISOString(), who: actor.who, client: actor.client, action, args: strArgs, outcome });
    return result;
  }

  /**
   * ack and output: the same commands, checks and handlers as a signed command from the
   * platform (firmware/commands/), permitted per box by site.http.allow; signer "site:<name>".
   */
  private async command(action: SiteCommand, args: Readonly<Record<string, unknown>>, actor: Actor): Promise<ActionResult> {
    if (!this.allow.includes(action)) return { ok: false, action, status: 403, error: `${action} is not allowed from the page on this box (site.http.allow)` };
    const parsed = checkArgs(COMMAND_SPECS[action].args, args);
    if (!parsed.success) return { ok: false, action, status: 400, error: `${action}: ${parsed.issues.map((i) => `${i.path.join('.') || 'arguments'}: ${i.message}`).join('; ')}` };
    const r = await this.src.command(action, parsed.data as Record<string, unknown>, `site:${actor.who}`);
    return r.ok ? { ok: true, action, result: r.result } : { ok: false, action, status: r.reason === 'bad-args' ? 400 : 409, error: r.error };
  }

  private async perform(action: ActionName, args: Readonly<Record<string, string>>): Promise<ActionResult> {
    const diag = this.src.diagnostics();
    switch (action) {
      case 'ack':
      case 'output':
        return { ok: false, action, status: 500, error: 'commands run through command()' };
      case 'selftest':
      case 'commission': {
        if (!diag) return { ok: false, action, status: 503, error: 'diagnostics are not running yet' };
        const report = await diag.selfTest();
        return { ok: true, action, report, commissioned: diag.status().commissioned };
      }
      case 'i2c-scan': {
        const buses = this.src.buses();
        if (!buses) return { ok: false, action, status: 503, error: 'buses are not open yet' };
        return { ok: true, action, checks: await busChecks(this.src.profile, buses, true, this.src.exclusive) };
      }
      case 'reprobe': {
        const id = args.device ?? '';
        if (!this.src.reprobe(id)) return { ok: false, action, status: 404, error: `no device "${id}" in the profile` };
        return { ok: true, action, device: id };
      }
      case 'serial-probe': {
        const port = args.port ?? '';
        if (!PORT.test(port)) return { ok: false, action, status: 400, error: `"${port}" is not a serial port path (/dev/serial/by-id/…, /dev/ttyUSB0, /dev/ttyAMA0 …)` };
        const user = this.src.profile.devices.find((d) => d.enabled && (d as { port?: unknown }).port === port);
        if (user) return { ok: false, action, status: 409, error: `${port} belongs to device "${user.id}" while the service runs: use Re-probe on it` };
        const baud = Number(args.baud ?? 9600);
        if (![1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200].includes(baud)) return { ok: false, action, status: 400, error: `${args.baud} is not a supported baud rate` };
        return { ok: true, action, probe: await probeSerial({ path: port, baud, seconds: 3, send: true }) };
      }
    }
  }

  /** Log one action with who did it (also used for the support-bundle download). */
  record(e: ActionLogEntry): void {
    this.log.info({ who: e.who, client: e.client, action: e.action, args: e.args, outcome: e.outcome }, `site action ${e.action} by ${e.who}`);
    try {
      appendAction(this.src.profile.storage.dir, e);
    } catch (err) {
      this.log.warn({ err }, 'cannot write the site action log');
    }
  }
}
