/**
 * A short-lived thread that reads and checks one profile (YAML parser, zod schemas of every
 * device type) and posts the checked profile back as plain data, then ends: the sampling
 * thread of `edgefw run` never loads either library (config/check-thread.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ProfileError, loadProfile } from './load.js';
import type { CheckReply } from './check-thread.js';

const { file } = workerData as { file: string };
let reply: CheckReply;
try {
  reply = { ok: true, profile: loadProfile(file) };
} catch (e) {
  reply = e instanceof ProfileError ? { ok: false, file: e.file, problems: e.problems } : { ok: false, error: e instanceof Error ? e.message : String(e) };
}
parentPort?.postMessage(reply);
