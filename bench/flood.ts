import type { MqttClient } from 'mqtt';

/** 200 samples as the uplink encodes them: the unit of the flood. */
export const FLOOD_SAMPLES_PER_MESSAGE = 200;
const payload = JSON.stringify({
  v: 1,
  box: 'flood',
  boot: 1,
  samples: Array.from({ length: FLOOD_SAMPLES_PER_MESSAGE }, (_, i) => ({ dev: 'flood', seq: i, kind: 'sample', t: 1_790_000_000_000 + i, tq: 'assumed', v: { pm2_5: i % 100 }, u: { pm2_5: 'µg/m³' } })),
});

/**
 * Publish QoS 1 as fast as the broker acknowledges, with 16 messages in flight (a bounded window:
 * a callback per publish in an unbounded loop makes mqtt.js quadratic). Returns a stop function
 * that reports how many samples the broker acknowledged.
 */
export function publishFlood(client: MqttClient): { stop(): number } {
  let inflight = 0;
  let acked = 0;
  let running = true;
  const pump = (): void => {
    while (running && inflight < 16) {
      inflight++;
      client.publish('bench/flood/telemetry', payload, { qos: 1 }, () => {
        inflight--;
        acked += FLOOD_SAMPLES_PER_MESSAGE;
        pump();
      });
    }
  };
  pump();
  return {
    stop: () => {
      running = false;
      return acked;
    },
  };
}
