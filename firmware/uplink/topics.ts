/**
 * MQTT topic layout of one box (docs/mqtt.md). Everything lives under <prefix>/<box id>/.
 *   status          retained; online/offline (also the last will), boot counter, firmware
 *   telemetry       batches of samples, QoS 1
 *   faults          retained snapshot of active faults
 *   faults/events   one message per fault transition, QoS 1
 *   cmd/<name>      commands from the platform; replies on cmd/<name>/reply
 */
export interface Topics {
  readonly base: string;
  readonly status: string;
  readonly telemetry: string;
  readonly faults: string;
  readonly faultEvents: string;
  readonly commands: string;
  reply(command: string): string;
}

export function topicsFor(prefix: string, boxId: string): Topics {
  const base = `${prefix}/${boxId}`;
  return {
    base,
    status: `${base}/status`,
    telemetry: `${base}/telemetry`,
    faults: `${base}/faults`,
    faultEvents: `${base}/faults/events`,
    commands: `${base}/cmd/+`,
    reply: (command) => `${base}/cmd/${command}/reply`,
  };
}
