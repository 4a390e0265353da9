import { InvalidArgumentError, Option } from 'commander';

/** The MQTT URL forms the profile accepts (uplink.url), for options that name a broker. */
export const MQTT_URL = /^(mqtts?|wss?|tcp):\/\/[^\s/:]+(:\d{1,5})?(\/\S*)?$/;

/** `--url`: refused before anything connects, with the form it must have. */
export function mqttUrl(value: string): string {
  if (!MQTT_URL.test(value)) throw new InvalidArgumentError(`"${value}" is not an MQTT URL (write mqtt://host:port or mqtts://host:port)`);
  return value;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** `--log-level`, limited to pino's levels (default: EDGEFW_LOG_LEVEL, else info). */
export function logLevelOption(): Option {
  const env = process.env.EDGEFW_LOG_LEVEL;
  return new Option('--log-level <level>', 'how much the box logs')
    .choices(LOG_LEVELS)
    .default(env && (LOG_LEVELS as readonly string[]).includes(env) ? env : 'info');
}
