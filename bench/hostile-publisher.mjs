// A hostile publisher in its own process (so its memory is not the box's): floods a box's
// command topics with the messages docs/security.md says the box refuses, over QoS 1.
// Usage: node bench/hostile-publisher.mjs '<json spec>'; prints {"published":n,"ms":t} when the
// broker has acknowledged every message.
//   spec: { url, base, total, replay: <a signed envelope the box already accepted>, seed }
// The four kinds alternate: oversize (over 16 KiB), deep (16,000 nested brackets, under the
// size cap), bad signature (the accepted envelope with its signature bytes changed), replay.
import mqtt from 'mqtt';

const spec = JSON.parse(process.argv[2]);
const replay = JSON.stringify(spec.replay);
const bad = JSON.stringify({ ...spec.replay, args: { forged: true } });
const oversize = JSON.stringify({ ...spec.replay, pad: 'x'.repeat(17_000) });
const deep = '['.repeat(16_000);
const kinds = [
  ['diag', oversize],
  ['diag', deep],
  [spec.replay.cmd, bad],
  [spec.replay.cmd, replay],
];
const client = mqtt.connect(spec.url, { reconnectPeriod: 0, clean: true, clientId: `hostile-${process.pid}` });
const t0 = performance.now();
let sent = 0;
let acked = 0;
const WINDOW = 64;
function pump() {
  while (sent < spec.total && sent - acked < WINDOW) {
    const [cmd, payload] = kinds[sent % kinds.length];
    sent++;
    client.publish(`${spec.base}/cmd/${cmd}`, payload, { qos: 1 }, (err) => {
      if (err) {
        console.error(err.message);
        process.exit(1);
      }
      acked++;
      if (acked === spec.total) {
        console.log(JSON.stringify({ published: acked, ms: Math.round(performance.now() - t0) }));
        client.end(false, {}, () => process.exit(0));
      } else pump();
    });
  }
}
client.on('connect', pump);
client.on('error', (e) => {
  console.error(e.message);
  process.exit(1);
});
