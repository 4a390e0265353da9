import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export interface LogOptions {
  readonly level?: string;
  /** human-readable lines (a terminal) instead of JSON (systemd, log shippers) */
  readonly pretty?: boolean;
  /** where lines go instead of stdout (the demo console keeps them above its table; one line per entry there) */
  readonly destination?: NodeJS.WritableStream;
}

/**
 * The root logger. Modules take a child: `log.child({ module: 'uplink' })`. Structured fields,
 * no string building in hot paths. JSON when stdout is not a terminal (under systemd).
 */
export function createLogger(options: LogOptions = {}): Logger {
  const level = options.level ?? process.env.EDGEFW_LOG_LEVEL ?? 'info';
  const usePretty = options.pretty ?? process.stdout.isTTY === true;
  if (!usePretty) return options.destination ? pino({ level, base: { app: 'edgefw' } }, options.destination) : pino({ level, base: { app: 'edgefw' } });
  return pino({ level, base: undefined }, pretty({ colorize: true, sync: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l', singleLine: options.destination !== undefined, ...(options.destination ? { destination: options.destination } : {}) }));
}
