import { type ArgShape, type ArgsOf, checkArgs } from './args.js';

export { checkArgs };

/**
 * The command registry: every command the box accepts, in one place. A spec names the command
 * (its topic is <prefix>/<box>/cmd/<name>), the permission a trust-list key needs for it, whether
 * it changes anything, and the schema of its arguments. The uplink worker checks envelopes
 * against these specs; the sampling thread runs the handler registered under the same name
 * (firmware/commands/executor.ts, where TypeScript requires one handler per spec).
 *
 * To add a command: a spec here, a handler in the executor, a row in README's command table.
 * Permissions are names a trust-list entry's `allow` lists; the technician page (issue 13) uses
 * the same names.
 */
export interface CommandSpec {
  readonly name: string;
  readonly permission: string;
  /** false: only reads (still signed, still fresh, still used once) */
  readonly changes: boolean;
  readonly description: string;
  /** arguments: a strict object; unknown keys are refused (checkArgs, firmware/commands/args.ts) */
  readonly args: ArgShape;
}

const deviceId = { kind: 'string', min: 1, max: 63, pattern: /^[a-z0-9][a-z0-9_-]{0,62}$/, what: 'a device id' } as const;

export const COMMAND_SPECS = {
  diag: {
    name: 'diag',
    permission: 'diag',
    changes: false,
    description: 'run diag on the box and reply with its PASS/WARN/FAIL report',
    args: {},
  },
  ack: {
    name: 'ack',
    permission: 'ack',
    changes: true,
    description: 'acknowledge active faults (all, one code, or one subject); latched faults whose condition is over clear',
    args: {
      code: { kind: 'string', max: 48, pattern: /^[A-Z][A-Z0-9_]{1,47}$/, what: 'a fault code (docs/faults.md)', optional: true },
      subject: { kind: 'string', min: 1, max: 64, optional: true },
    },
  },
  output: {
    name: 'output',
    permission: 'output',
    changes: true,
    description: 'set a relay, backlight or Firmata output for at most `hold` (then back to its safe state)',
    args: {
      device: deviceId,
      output: { kind: 'string', min: 1, max: 32, optional: true },
      value: { kind: 'word-or-number', words: ['on', 'off'], min: 0, max: 1 },
      /** ms; default 60 s, at most 24 h: the output falls back to its safe value after this */
      hold: { kind: 'number', int: true, min: 1000, max: 86_400_000, optional: true },
    },
  },
  reprobe: {
    name: 'reprobe',
    permission: 'reprobe',
    changes: true,
    description: 'probe a device again now (after a technician re-seated it)',
    args: { device: deviceId },
  },
  restart: {
    name: 'restart',
    permission: 'restart',
    changes: true,
    description: 'stop cleanly (outputs safe, outbox flushed) and let systemd start the service again',
    args: {},
  },
  update: {
    name: 'update',
    permission: 'update',
    changes: true,
    description: 'download a signed release bundle and install it: health-gated commit, automatic rollback; progress on the retained update topic (docs/install.md)',
    args: {
      url: { kind: 'string', max: 2048, pattern: /^https?:\/\/\S+$/, what: 'an http:// or https:// URL of a bundle' },
      /** largest bundle to download, MB */
      maxMb: { kind: 'number', int: true, min: 1, max: 1024, optional: true },
      /** trial: healthy without a break for `settle` s, within `window` s of each start */
      settle: { kind: 'number', int: true, min: 1, max: 3600, optional: true },
      window: { kind: 'number', int: true, min: 2, max: 7200, optional: true },
    },
  },
} as const satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMAND_SPECS;
export type CommandArgs<N extends CommandName> = ArgsOf<(typeof COMMAND_SPECS)[N]['args']>;

export const COMMAND_NAMES = Object.keys(COMMAND_SPECS) as CommandName[];
export const PERMISSIONS = [...new Set(Object.values(COMMAND_SPECS).map((s) => s.permission))];

export function commandSpec(name: string): CommandSpec | undefined {
  return Object.hasOwn(COMMAND_SPECS, name) ? (COMMAND_SPECS as Record<string, CommandSpec>)[name] : undefined;
}

/** A command that passed every check in the uplink worker: all that crosses to the sampling thread. */
export interface VerifiedCommand {
  readonly cmd: CommandName;
  readonly args: Record<string, unknown>;
  /** the envelope's nonce: the reply carries it as `re` */
  readonly nonce: string;
  /** name of the trust-list entry whose key signed it */
  readonly signer: string;
}

/** What a handler answers; the worker signs and publishes it on cmd/<name>/reply. */
export type CommandResult = { readonly ok: true; readonly result: Record<string, unknown> } | { readonly ok: false; readonly reason: string; readonly error: string };
