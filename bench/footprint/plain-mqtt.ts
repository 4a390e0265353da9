/**
 * The plain mqtt.js contender of `bench footprint`: 20 sensors at 10 Hz as setIntervals, every
 * sample encoded as edgefw encodes one reading and published on its own, QoS 1.
 * Run by the benchmark as its own process: node plain-mqtt.js <url> <topic> <devices> <intervalMs>
 */
import mqtt from 'mqtt';

const [url = 'mqtt://127.0.0.1:1883', topic = 'bench/plain/telemetry', devicesArg = '20', intervalArg = '100'] = process.argv.slice(2);
const devices = Number(devicesArg);
const intervalMs = Number(intervalArg);
const client = mqtt.connect(url, { clientId: `bench-plain-${process.pid}`, protocolVersion: 5 });
const seq = new Array<number>(devices).fill(0);
const units = { temperature: '°C', humidity: '%RH', pressure: 'hPa' };

client.once('connect', () => {
  for (let i = 0; i < devices; i++) {
    const dev = `d${i}`;
    setInterval(() => {
      const n = (seq[i] = (seq[i] as number) + 1);
      const v = { temperature: 21 + Math.random(), humidity: 45 + Math.random() * 5, pressure: 1013 + Math.random() };
      client.publish(topic, JSON.stringify({ dev, seq: n, kind: 'reading', t: Date.now(), tq: 'ntp', v, u: units }), { qos: 1 });
    }, intervalMs);
  }
});
process.on('SIGTERM', () => client.end(false, {}, () => process.exit(0)));
