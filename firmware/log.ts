import { createRequire } from 'node:module';
import pino, { type Logger } from 'pino';

export interface LogOptions {
  readonly level?: string;
  /** human-readable lines (a terminal) instead of JSON (systemd, log shippers) */
  readonly pretty?: boolean;
  /** where lines go instead of stdout (the demo console keeps them above its table; one line per entry there) */
  readonly destination?: NodeJS.WritableStream;
}

const require = createRequire(import.meta.url);

/** The last log lines of this process (JSON, one per entry), for the support bundle. Bounded. */
const RECENT: string[] = [];
const RECENT_LINES = 1000;
const LINE_MAX = 2048;

export function recentLogLines(): readonly string[] {
  return RECENT;
}

/** pino's last step before a line is written: keep a bounded copy (never blocks, never throws). */
const hooks = {
  streamWrite(line: string): string {
    RECENT.push(line.length > LINE_MAX ? `${line.slice(0, LINE_MAX)}…\n` : line);
    if (RECENT.length > RECENT_LINES) RECENT.splice(0, RECENT.length - RECENT_LINES);
    return line;
  },
};

/**
 * The root logger. Modules take a child: `log.child({ module: 'uplink' })`. Structured fields,
 * no string building in hot paths. JSON when stdout is not a terminal (under systemd); only then
 * is pino-pretty (and its colour and date libraries) loaded at all. The last 1000 lines stay in memory for the support bundle (`recentLogLines`).
 */
export function createLogger(options: LogOptions = {}): Logger {
  const level = options.level ?? process.env.EDGEFW_LOG_LEVEL ?? 'info';
  const usePretty = options.pretty ?? process.stdout.isTTY === true;
  if (!usePretty) return options.destination ? pino({ level, base: { app: 'edgefw' }, hooks }, options.destination) : pino({ level, base: { app: 'edgefw' }, hooks });
  const pretty = require('pino-pretty') as typeof import('pino-pretty');
  return pino({ level, base: undefined, hooks }, pretty({ colorize: true, sync: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l', singleLine: options.destination !== undefined, ...(options.destination ? { destination: options.destination } : {}) }));
}
