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

/**
 * The root logger. Modules take a child: `log.child({ module: 'uplink' })`. Structured fields,
 * no string building in hot paths. JSON when stdout is not a terminal (under systemd); only then
 * is pino-pretty (and its colour and date libraries) loaded at all.
 */
export function createLogger(options: LogOptions = {}): Logger {
  const level = options.level ?? process.env.EDGEFW_LOG_LEVEL ?? 'info';
  const usePretty = options.pretty ?? process.stdout.isTTY === true;
  if (!usePretty) return options.destination ? pino({ level, base: { app: 'edgefw' } }, options.destination) : pino({ level, base: { app: 'edgefw' } });
  const pretty = require('pino-pretty') as typeof import('pino-pretty');
  return pino({ level, base: undefined }, pretty({ colorize: true, sync: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l', singleLine: options.destination !== undefined, ...(options.destination ? { destination: options.destination } : {}) }));
}
