import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt from 'mqtt';
import pino from 'pino';
import { Scheduler } from '../firmware/loop/scheduler.js';
import type { Sample } from '../firmware/reading.js';
import { Outbox } from '../firmware/uplink/outbox.js';
import { encodeTelemetry, toWire } from '../firmware/uplink/payload.js';
import type { OutboxConfig, UplinkConfig } from '../firmware/uplink/protocol.js';
import { UplinkSession } from '../firmware/uplink/session.js';
import { Uplink } from '../firmware/uplink/uplink.js';
import { startBenchBroker } from './broker.js';
import type { BenchOptions, BenchResult, Benchmark } from './types.js';

/**
 * The durable uplink against a real Mosquitto:
 * 1. throughput of outbox → QoS 1 publishing vs raw mqtt.js QoS 1 publishing of the same payloads;
 * 2. draining a 100k-reading backlog;
 * 3. commits/s and bytes written per reading at 10 Hz steady state;
 * 4. sampling-thread lateness while the uplink worker drains a 100k backlog.
 * Scenarios 1–3 run the outbox and session on this thread (the uplink worker's code, without
 * the thread); 4 runs the real worker.
 */
const PER_MESSAGE = 200; // uplink.batch.maxSamples default
const WINDOW = 16;
const BACKLOG = 100_000;
/** uplink.outbox.drainRate default (config/schema.ts): backlog readings per second after an outage */
const DEFAULT_DRAIN_RATE = 2000;

function sampleAt(i: number, device = `d${i % 20}`): Sample {
  return {
    device, kind: 'sample', monoMs: i, wallMs: 1_795_000_000_000 + i, timeSource: 'system',
    values: [
      { channel: 'temperature', value: 21.5 + (i % 100) / 100, unit: '°C' },
      { channel: 'pressure', value: 1013.25 - (i % 50) / 10, unit: 'hPa' },
      { channel: 'humidity', value: 45 + (i % 30) / 10, unit: '%RH' },
    ],
  };
}

function config(url: string, outbox: OutboxConfig, perMessage = PER_MESSAGE): UplinkConfig {
  return {
    url, clientId: `bench-uplink-${process.pid}-${Math.random().toString(16).slice(2, 8)}`, keepaliveMs: 30_000, prefix: 'bench', boxId: 'uplink', boot: 1,
    firmware: 'bench', reconnectMinMs: 500, reconnectMaxMs: 2000, maxSamplesPerMessage: perMessage, inflightWindow: WINDOW,
    memoryQueueLimit: 0, drainRate: 0, outbox,
  };
}

function outboxConfig(dir: string, commitIntervalMs = 250): OutboxConfig {
  return { path: join(dir, 'outbox.db'), commitIntervalMs, maxRows: 10_000_000, maxBytes: 4e9, maxAgeMs: 0, policy: 'drop-oldest', ringRows: 20_000, retryMs: 2000 };
}

interface Durable {
  readonly outbox: Outbox;
  session: UplinkSession;
  readonly scheduler: Scheduler;
  acked(): number;
  /** called after each acknowledged batch (the feed tops up from here) */
  onAcked: (() => void) | undefined;
  stop(): Promise<void>;
}

async function startDurable(url: string, oc: OutboxConfig, boot = 1, perMessage = PER_MESSAGE): Promise<Durable> {
  const outbox = new Outbox({ ...oc, boot });
  const scheduler = new Scheduler();
  let acked = 0;
  const silent = pino({ level: 'silent' });
  // the object exists before the session starts: a backlog is acknowledged while it connects
  const d: Durable = {
    outbox, scheduler, acked: () => acked, onAcked: undefined,
    session: undefined as unknown as UplinkSession, // set below, before anything runs
    stop: async () => {
      await d.session.stop(1000);
      scheduler.stop();
    },
  };
  const session = new UplinkSession({ ...config(url, oc, perMessage), boot }, outbox, scheduler, {
    stats: () => undefined,
    log: (level, msg, fields) => silent[level](fields ?? {}, msg),
    acked: (b) => {
      acked += b.count;
      d.onAcked?.();
    },
  }, () => outbox.counters());
  d.session = session;
  session.start();
  while (!session.stats().connected) await sleep(10);
  return d;
}

/**
 * Raw mqtt.js QoS 1: the same samples, each message encoded from them as it is sent (toWire +
 * JSON, as the uplink encodes), the same window, no storage. (Publishing a few payloads encoded
 * once before the clock started made the baseline skip the encoding the durable path must do.)
 */
async function rawThroughput(url: string, seconds: number, perMessage: number): Promise<number> {
  const pool = Array.from({ length: 50 * perMessage }, (_, i) => sampleAt(i));
  let seq = 0;
  const encodeNext = (m: number): string => {
    const base = (m % 50) * perMessage;
    const wires = [];
    for (let i = 0; i < perMessage; i++) wires.push(toWire(pool[base + i] as Sample, seq++));
    return encodeTelemetry('uplink', 1, wires);
  };
  const client = mqtt.connect(url, { clientId: `bench-raw-${process.pid}`, protocolVersion: 5, queueQoSZero: false, reconnectPeriod: 0 });
  await new Promise<void>((resolve) => client.once('connect', () => resolve()));
  let acked = 0;
  let inflight = 0;
  let sent = 0;
  let running = true;
  const pump = (): void => {
    while (running && inflight < WINDOW) {
      inflight++;
      client.publish('bench/raw/telemetry', encodeNext(sent++), { qos: 1 }, (err) => {
        inflight--;
        if (!err) acked += perMessage;
        pump();
      });
    }
  };
  pump();
  await sleep(1000);
  const a0 = acked;
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const rate = ((acked - a0) * 1000) / (performance.now() - t0);
  running = false;
  await new Promise<void>((resolve) => client.end(false, {}, () => resolve()));
  return rate;
}

/**
 * Outbox on: readings handed over as fast as the uplink takes them, `keep` kept in the system
 * (handed over, not yet acknowledged): topped up every 10 ms and whenever an acknowledgement
 * leaves fewer than half of them. The caller runs it with a pile sized from the raw rate measured
 * in the same run (`keep` / commit interval ≥ twice the raw rate: an outbox that publishes only
 * committed readings is never capped by its feed) and with a small pile (two windows of messages:
 * an outbox that publishes from memory is never starved), and reports the better: the feed caps
 * neither. `cap` = keep / commit interval.
 */
async function durableThroughput(url: string, seconds: number, perMessage: number, keep: number): Promise<{ rate: number; commits: number; bytesPerReading: number; keep: number; cap: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'edgefw-bench-tp-'));
  const oc = outboxConfig(dir);
  const d = await startDurable(url, oc, 1, perMessage);
  // readings built once (the sampling thread's work is not the uplink's)
  const pool = Array.from({ length: 20_000 }, (_, i) => sampleAt(i));
  let offered = 0;
  const topUp = (): void => {
    let want = keep - (offered - d.acked());
    while (want > 0) {
      const start = offered % pool.length;
      const n = Math.min(want, pool.length - start);
      d.session.submit(pool.slice(start, start + n));
      offered += n;
      want -= n;
    }
  };
  const feed = d.scheduler.every('feed', 10, topUp);
  d.onAcked = () => {
    if (offered - d.acked() < keep / 2) topUp();
  };
  await sleep(1000);
  const a0 = d.acked();
  const c0 = d.outbox.counters();
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const dt = (performance.now() - t0) / 1000;
  const acked = d.acked() - a0;
  const c1 = d.outbox.counters();
  feed.cancel();
  d.onAcked = undefined;
  await d.stop();
  rmSync(dir, { recursive: true, force: true });
  return {
    rate: acked / dt, commits: (c1.commits - c0.commits) / dt, bytesPerReading: (c1.bytesWritten - c0.bytesWritten) / Math.max(1, c1.committed - c0.committed),
    keep, cap: (keep * 1000) / oc.commitIntervalMs,
  };
}

/** A pile that lets an outbox publishing only committed readings reach twice the raw rate. */
const keepFor = (raw: number, commitIntervalMs = 250): number => Math.max(20_000, Math.ceil((2 * raw * commitIntervalMs) / 1000));
/** The durable rate with both piles (see durableThroughput; the small one is two windows of messages): the better one, and both. */
async function bestDurable(url: string, seconds: number, perMessage: number, raw: number) {
  const big = await durableThroughput(url, seconds, perMessage, keepFor(raw));
  const small = await durableThroughput(url, seconds, perMessage, 2 * WINDOW * perMessage);
  return { ...(big.rate >= small.rate ? big : small), big, small };
}

/** A file with `n` committed readings, as a box has after an outage. Returns the fill rate. */
function fillBacklog(oc: OutboxConfig, n: number): number {
  const o = new Outbox({ ...oc, boot: 1 });
  const t0 = performance.now();
  for (let i = 0; i < n; i += 2500) {
    o.append(Array.from({ length: Math.min(2500, n - i) }, (_, k) => sampleAt(i + k)));
    o.commit(); // 10 Hz × 250 devices for 250 ms, one transaction each
  }
  const rate = (n * 1000) / (performance.now() - t0);
  o.close();
  return rate;
}

async function backlogDrain(url: string): Promise<{ fill: number; drain: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'edgefw-bench-drain-'));
  const oc = outboxConfig(dir);
  const fill = fillBacklog(oc, BACKLOG);
  const t0 = performance.now();
  const d = await startDurable(url, oc, 2);
  while (d.outbox.pending() > 0) await sleep(5);
  const drain = (BACKLOG * 1000) / (performance.now() - t0);
  await d.stop();
  rmSync(dir, { recursive: true, force: true });
  return { fill, drain };
}

/** 10 Hz steady state: one device at 10 Hz (and 20 devices at 10 Hz), broker connected. */
async function steady(url: string, seconds: number, devices: number): Promise<{ commits: number; bytesPerReading: number; readings: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'edgefw-bench-steady-'));
  const d = await startDurable(url, outboxConfig(dir));
  let i = 0;
  const feed = d.scheduler.every('feed', 100, () => {
    d.session.submit(Array.from({ length: devices }, (_, k) => sampleAt(i++, `d${k}`)));
  });
  await sleep(2000);
  const c0 = d.outbox.counters();
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const c1 = d.outbox.counters();
  const dt = (performance.now() - t0) / 1000;
  feed.cancel();
  await d.stop();
  rmSync(dir, { recursive: true, force: true });
  const readings = c1.committed - c0.committed;
  return { commits: (c1.commits - c0.commits) / dt, bytesPerReading: (c1.bytesWritten - c0.bytesWritten) / Math.max(1, readings), readings };
}

/** The real uplink worker drains a 100k backlog while this thread samples at 200/s. */
async function latenessWhileDraining(url: string, backlog = BACKLOG, idleSeconds = 10, drainRate = 0): Promise<{ p50: number; p99: number; max: number; drain: number; ticks: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'edgefw-bench-late-'));
  const oc = outboxConfig(dir);
  if (backlog > 0) fillBacklog(oc, backlog);
  const scheduler = new Scheduler();
  const uplink = new Uplink({ config: { ...config(url, oc), boot: 2, drainRate }, batchMaxSamples: PER_MESSAGE, batchMaxDelayMs: 50 }, scheduler, pino({ level: 'silent' }));
  let pending = backlog;
  let connected = false;
  uplink.onStats((s) => {
    pending = s.pending;
    connected ||= s.connected;
  });
  uplink.start();
  let i = 0;
  // 200 readings/s, like 20 devices at 10 Hz; the lateness of this task is the figure
  const task = scheduler.every('sample', 5, () => uplink.submit(sampleAt(i++, `d${i % 20}`)));
  while (!connected) await sleep(10);
  task.resetStats();
  const t0 = performance.now();
  // full-speed drain: until the backlog is gone; a rate-limited drain (the product's default) or
  // no backlog: for idleSeconds
  if (backlog > 0 && drainRate === 0) while (pending > 1000) await sleep(20);
  else await sleep(idleSeconds * 1000);
  const drain = ((backlog - Math.min(pending, backlog)) * 1000) / (performance.now() - t0);
  const st = task.stats();
  await uplink.stop();
  scheduler.stop();
  rmSync(dir, { recursive: true, force: true });
  return { p50: st.lateness.p50, p99: st.lateness.p99, max: st.lateness.max, drain, ticks: st.runs };
}

const f1 = (n: number): string => n.toFixed(1);
const k = (n: number): string => `${(n / 1000).toFixed(1)}k`;

export const uplinkBenchmark: Benchmark = {
  name: 'uplink',
  description: 'durable uplink: outbox throughput vs raw mqtt.js, backlog drain, commits and bytes at 10 Hz, lateness while draining',
  async run(options: BenchOptions): Promise<BenchResult> {
    const seconds = Math.min(options.seconds, 30);
    const broker = await startBenchBroker();
    // EDGEFW_UPLINK_SCENARIOS=throughput,one,drain,steady,lateness picks a subset (default: all)
    const only = (process.env.EDGEFW_UPLINK_SCENARIOS ?? '').split(',').filter(Boolean);
    const want = (name: string): boolean => only.length === 0 || only.includes(name);
    const none0 = { rate: 0, commits: 0, bytesPerReading: 0, keep: 0, cap: 0 };
    const none = { ...none0, big: none0, small: none0 };
    const noLate = { p50: 0, p99: 0, max: 0, drain: 0, ticks: 0 };
    try {
      // raw before and after the durable run, averaged: both see the same load
      let raw = 0;
      let durable = none;
      if (want('throughput')) {
        options.log('uplink: raw mqtt.js QoS 1 …');
        const rawA = await rawThroughput(broker.url, seconds, PER_MESSAGE);
        options.log('uplink: durable outbox QoS 1 …');
        durable = await bestDurable(broker.url, seconds, PER_MESSAGE, rawA);
        const rawB = await rawThroughput(broker.url, seconds, PER_MESSAGE);
        raw = (rawA + rawB) / 2;
      }
      let raw1 = 0;
      let durable1 = none;
      if (want('one')) {
        options.log('uplink: one reading per message, raw and durable …');
        const a = await rawThroughput(broker.url, seconds, 1);
        durable1 = await bestDurable(broker.url, seconds, 1, a);
        raw1 = (a + (await rawThroughput(broker.url, seconds, 1))) / 2;
      }
      options.log('uplink: sampling lateness with the worker idle …');
      const idle = want('lateness') ? await latenessWhileDraining(broker.url, 0) : noLate;
      options.log('uplink: 100k backlog drain …');
      const drain = want('drain') ? await backlogDrain(broker.url) : { fill: 0, drain: 0 };
      options.log('uplink: 10 Hz steady state …');
      const one = want('steady') ? await steady(broker.url, seconds, 1) : none;
      const twenty = want('steady') ? await steady(broker.url, seconds, 20) : none;
      options.log('uplink: sampling lateness while the worker drains 100k …');
      const late = want('lateness') ? await latenessWhileDraining(broker.url) : noLate;
      options.log(`uplink: sampling lateness while the worker drains at the default ${DEFAULT_DRAIN_RATE}/s …`);
      const lateDefault = want('lateness') ? await latenessWhileDraining(broker.url, BACKLOG, seconds, DEFAULT_DRAIN_RATE) : noLate;
      const ratio = durable.rate / Math.max(1, raw);
      return {
        title: 'Durable uplink (outbox on, QoS 1, real Mosquitto)',
        columns: ['measure', 'value', 'target'],
        rows: [
          ['raw mqtt.js QoS 1, readings/s (200 per message, 16 in flight; mean of a run before and after the durable one)', k(raw), ''],
          ['durable outbox → QoS 1, readings/s (same samples, payload size and window)', k(durable.rate), ''],
          ['durable / raw', `${ratio.toFixed(2)}×`, '≥ 0.8×'],
          [`durable with a pile of ${k(durable.big.keep)} readings (cap ${k(durable.big.cap)}/s) / of ${k(durable.small.keep)}, readings/s`, `${k(durable.big.rate)} / ${k(durable.small.rate)}`, ''],
          ['1 reading per message: raw, durable readings/s (piles as above)', `${k(raw1)}, ${k(durable1.rate)} (${k(durable1.big.rate)} / ${k(durable1.small.rate)})`, ''],
          ['1 reading per message: durable / raw', `${(durable1.rate / Math.max(1, raw1)).toFixed(2)}×`, '≥ 0.8×'],
          ['durable at full rate: commits/s, bytes written per reading', `${f1(durable.commits)}, ${f1(durable.bytesPerReading)} B`, ''],
          ['backlog fill (committed 2,500 per transaction), readings/s', k(drain.fill), ''],
          [`backlog drain of ${k(BACKLOG)}, readings/s`, k(drain.drain), '≥ 20k/s'],
          ['10 Hz steady state (1 device): commits/s', f1(one.commits), '≤ 4 (250 ms)'],
          ['10 Hz steady state (1 device): bytes written per reading', `${Math.round(one.bytesPerReading)} B`, ''],
          ['20 devices × 10 Hz: commits/s, bytes written per reading', `${f1(twenty.commits)}, ${Math.round(twenty.bytesPerReading)} B`, ''],
          ['sampling lateness while the worker drains 100k: p50 / p99 / max ms', `${late.p50.toFixed(2)} / ${late.p99.toFixed(2)} / ${late.max.toFixed(1)}`, 'p99 ≤ 2, max ≤ 10'],
          ['drain rate in the worker meanwhile, readings/s', k(late.drain), ''],
          [`sampling lateness while draining at the default uplink.outbox.drainRate (${DEFAULT_DRAIN_RATE}/s): p50 / p99 / max ms`, `${lateDefault.p50.toFixed(2)} / ${lateDefault.p99.toFixed(2)} / ${lateDefault.max.toFixed(1)}`, 'p99 ≤ 2, max ≤ 10'],
          ['same sampling task, worker idle (no backlog): p50 / p99 / max ms', `${idle.p50.toFixed(2)} / ${idle.p99.toFixed(2)} / ${idle.max.toFixed(1)}`, ''],
        ],
        notes: [
          `throughput ratio ${ratio.toFixed(2)}× at 200 readings per message, ${(durable1.rate / Math.max(1, raw1)).toFixed(2)}× at 1 (target ≥ 0.8×): ${ratio >= 0.8 ? 'met' : 'NOT met'} / ${durable1.rate / Math.max(1, raw1) >= 0.8 ? 'met' : 'NOT met'}`,
          `backlog drain ${k(drain.drain)}/s (target ≥ 20k/s): ${drain.drain >= 20_000 ? 'met' : 'NOT met'}`,
          `lateness p99 ${late.p99.toFixed(2)} ms over ${late.ticks} ticks while draining at full speed (target ≤ 2 ms): ${late.p99 <= 2 ? 'met' : 'NOT met'}; at the default drain rate ${lateDefault.p99.toFixed(2)} ms: ${lateDefault.p99 <= 2 ? 'met' : 'NOT met'}`,
          'bytes written = WAL frames (growth of the -wal file) + pages copied by checkpoints; ack deletions are in the same commits',
        ],
      };
    } finally {
      broker.stop();
    }
  },
};
