import { randomUUID } from 'node:crypto';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { Scheduler } from '../loop/scheduler.js';
import { trimHeapPeriodically } from './heap-trim.js';
import type { FromWorker, ToWorker, UplinkConfig } from './protocol.js';
import { type StorageTrouble } from './outbox-db.js';
import { Outbox } from './outbox.js';
import { MemoryQueue, totalDrops } from './queue.js';
import { UplinkSession } from './session.js';
import { CommandGate } from './commands.js';
import { probeBroker } from '../diagnostics/broker-probe.js';
import type { FaultCode } from '../diagnostics/catalog.js';

/**
 * The uplink worker thread: encoding, MQTT and the outbox's blocking SQLite writes run here so
 * that none of it delays the sampling thread. Talks to the sampling thread only by messages;
 * faults it sees are sent there, where the fault registry lives.
 */
const port = parentPort;
if (!port) throw new Error('uplink worker must run in a worker thread');

const send = (m: FromWorker): void => port.postMessage(m);

// Linux nice values are per thread: this thread (and only this one) yields the CPU to the
// sampling thread when both want it. Lowering one's own priority needs no privileges.
try {
  setPriority(0, 10);
} catch {
  /* not Linux, or not permitted: the thread split alone still keeps MQTT off the loop */
}
const scheduler = new Scheduler();
// the old generation collected every 15 s instead of growing to ~18 MB first (heap-trim.ts)
trimHeapPeriodically(scheduler);
let session: UplinkSession | undefined;
let gate: CommandGate | undefined;
let current: UplinkConfig | undefined;

const TROUBLE_CODES: Record<StorageTrouble, FaultCode> = {
  full: 'OUTBOX_DISK_FULL',
  'read-only': 'OUTBOX_READ_ONLY',
  corrupt: 'OUTBOX_CORRUPT',
  io: 'OUTBOX_IO_ERROR',
};
const SUBJECT = 'outbox';
/** OUTBOX_DROPPING clears after this long without a new drop, ms */
const DROP_QUIET_MS = 60_000;

function start(given: UplinkConfig): void {
  const config: UplinkConfig = { ...given, bootId: given.bootId ?? randomUUID() };
  current = config;
  const o = config.outbox;
  let outbox: Outbox | undefined;
  let s: UplinkSession | undefined;
  if (o) {
    outbox = new Outbox({
      ...o,
      boot: config.boot,
      ...(config.bootId ? { bootId: config.bootId } : {}),
      ...(config.firstStart !== undefined ? { firstStart: config.firstStart } : {}),
      // a row holds at least a full message: a message then reads and deletes one row
      rowSamples: Math.max(200, config.maxSamplesPerMessage),
      onEvent: (e) => {
        if (e.type === 'trouble') {
          send({ t: 'fault', op: 'raise', code: TROUBLE_CODES[e.trouble], subject: SUBJECT, message: `${e.message}; keeping readings in memory (${o.ringRows} at most)`, details: { path: o.path } });
        } else if (e.type === 'recovered') {
          send({ t: 'fault', op: 'clear', code: TROUBLE_CODES[e.trouble], subject: SUBJECT });
          send({ t: 'log', level: 'info', msg: 'outbox writing to disk again', fields: { path: o.path } });
        } else if (e.type === 'skip') {
          const k = e.skip;
          if (k.reason !== 'unclean-stop') {
            send({
              t: 'fault', op: 'raise', code: 'OUTBOX_SEQ_JUMP', subject: SUBJECT,
              message: `sequences continue in a fresh range from ${k.to} (${k.reason}); no number is reused`, details: { ...k },
            });
          } else if (k.dev !== '*') {
            send({ t: 'log', level: 'warn', msg: 'last run did not stop cleanly: the rest of its reserved sequence numbers is skipped', fields: { ...k } });
          }
          s?.publishStatus();
        } else if (e.type === 'reserved') {
          send({ t: 'fault', op: 'clear', code: 'OUTBOX_SEQ_JUMP', subject: SUBJECT });
        } else if (e.type === 'damaged') {
          send({
            t: 'fault', op: 'raise', code: 'OUTBOX_ROW_DAMAGED', subject: SUBJECT,
            message: `${e.path}: stored row ${e.row} (boot ${e.boot}) is damaged (${e.reason}); ${e.kept} readings kept and sent, ${e.lost} lost and counted; the row as found is kept in table "damaged"`,
            details: { path: e.path, row: e.row, boot: e.boot, reason: e.reason, lost: e.lost, kept: e.kept },
          });
          s?.publishStatus();
        } else {
          send({ t: 'fault', op: 'raise', code: 'OUTBOX_CORRUPT', subject: SUBJECT, message: `corrupt outbox renamed to ${e.path} (${e.reason}); a new one was created`, details: { path: o.path, setAside: e.path } });
        }
      },
    });
  }
  const queue = outbox ?? new MemoryQueue({ maxRows: config.memoryQueueLimit, maxBytes: Number.MAX_SAFE_INTEGER, maxAgeMs: 0, policy: 'drop-oldest', boot: config.boot });
  const log = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void => send({ t: 'log', level, msg, ...(fields ? { fields } : {}) });
  const c = config.commands;
  const g = c
    ? new CommandGate(c, {
        scheduler, boxId: config.boxId, boot: config.boot, log,
        publish: (suffix, payload) => session?.publishExtra(suffix, payload, false),
        fault: (op, code, message, details) => send(op === 'raise' ? { t: 'fault', op, code, subject: 'commands', message: message ?? code, ...(details ? { details } : {}) } : { t: 'fault', op, code, subject: 'commands' }),
        forward: (command) => send({ t: 'command', command }),
      })
    : undefined;
  gate = g;
  s = new UplinkSession(config, queue, scheduler, {
    stats: (stats) => send({ t: 'stats', stats }),
    log,
    ...(g ? { command: (name: string, payload: Buffer, retain: boolean) => g.onMessage(name, payload, retain) } : {}),
    fault: (op, code, message) =>
      send(op === 'raise' ? { t: 'fault', op, code, subject: 'uplink', message: message ?? code } : { t: 'fault', op, code, subject: 'uplink' }),
  }, outbox ? () => outbox.counters() : undefined);
  if (g) s.commandCounters = () => g.counters;
  session = s;
  s.start();
  const sess = s;

  // drops counted in the outbox file before this start are not news
  let lastDrops = totalDrops(sess.stats().drops ?? { oldest: 0, rejected: 0, expired: 0 });
  let lastPending = 0;
  let lastDropAt = 0;
  scheduler.every('uplink-stats', 1000, () => {
    const stats = sess.stats();
    send({ t: 'stats', stats });
    // the platform waits for the backlog before calling a gap a loss: say when it is gone
    if (lastPending > 0 && stats.pending === 0) sess.publishStatus();
    lastPending = stats.pending;
    const d = stats.drops ?? { oldest: 0, rejected: 0, expired: 0 };
    const total = totalDrops(d);
    const now = scheduler.now();
    if (total > lastDrops) {
      send({
        t: 'fault', op: 'raise', code: 'OUTBOX_DROPPING', subject: SUBJECT,
        message: `${total} readings dropped since start (${d.oldest} oldest removed, ${d.rejected} refused, ${d.expired} expired)`,
        details: { ...d },
      });
      lastDrops = total;
      lastDropAt = now;
      sess.publishStatus(); // the platform sees the counters move
    } else if (lastDropAt > 0 && now - lastDropAt > DROP_QUIET_MS) {
      send({ t: 'fault', op: 'clear', code: 'OUTBOX_DROPPING', subject: SUBJECT });
      lastDropAt = 0;
    }
  });
  // a status now and then carries the sequences and outbox counters even when nothing changes
  scheduler.every('uplink-status', 60_000, () => sess.publishStatus(), { phaseMs: 60_000 });
}

port.on('message', (m: ToWorker) => {
  switch (m.t) {
    case 'init':
      start(m.config);
      return;
    case 'samples':
      session?.submit(m.samples);
      return;
    case 'faults':
      session?.faults(m.active, m.events);
      return;
    case 'clock':
      session?.restamp(m.offsetMs, m.source);
      gate?.trustClock();
      return;
    case 'reply':
      gate?.reply(m.command, m.result);
      return;
    case 'commands':
      gate?.reconfigure(m.config);
      return;
    case 'publish':
      session?.publishExtra(m.topic, m.payload, m.retain);
      return;
    case 'probe': {
      const c = current;
      if (!c) {
        send({ t: 'probe', id: m.id, result: { ok: false, error: 'the uplink has not started' } });
        return;
      }
      // its own short connection, as `edgefw diag` makes one; mqtt.js is already loaded here
      void probeBroker({ url: c.url, ...(c.username !== undefined ? { username: c.username } : {}), ...(c.secrets ? { secrets: c.secrets } : {}), base: m.base, timeoutMs: m.timeoutMs }).then((result) => send({ t: 'probe', id: m.id, result }));
      return;
    }
    case 'stop':
      void (session?.stop(1200) ?? Promise.resolve()).then(() => {
        if (session) send({ t: 'stats', stats: session.stats() });
        scheduler.stop();
        send({ t: 'stopped' });
      });
      return;
  }
});
