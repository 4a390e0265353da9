import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { DEVICE_TYPES } from '../drivers/registry.js';
import { ProfileError, formatPath, readBounded } from './errors.js';
import { type Profile, profileSchema } from './schema.js';

export { ProfileError, formatPath, readBounded };

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const where = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return `${where}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (check the spelling; see docs/profile.md)`;
  }
  if (issue.code === 'invalid_union' && (issue as { note?: string }).note === 'No matching discriminator') {
    const got = valueAt(input, issue.path);
    const types = DEVICE_TYPES.map((d) => d.type).join(', ');
    const shown = got === undefined ? 'missing' : JSON.stringify(got);
    return `${where}: ${shown} is not a known device type (${types})`;
  }
  if (issue.code === 'invalid_type' && valueAt(input, issue.path) === undefined) {
    return `${where}: required (${issue.expected})`;
  }
  if (issue.code === 'invalid_value') {
    const got = valueAt(input, issue.path);
    return `${where}: ${JSON.stringify(got)} is not one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return `${where}: ${issue.message}`;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

/**
 * With `uplink.embeddedBroker` the box publishes only to its own broker. A `uplink.url` written
 * next to it that names another broker would be ignored without a word, so it is refused; the
 * url may be left out or name the embedded broker itself. Needs the written input: the parsed
 * profile cannot tell a written url from the default.
 */
function embeddedBrokerProblems(input: unknown, p: Profile): string[] {
  const eb = p.uplink.embeddedBroker;
  const written = valueAt(input, ['uplink', 'url']);
  if (!eb || typeof written !== 'string') return [];
  const own = [`mqtt://${eb.host}:${eb.port}`, `tcp://${eb.host}:${eb.port}`];
  if (eb.port !== 0 && own.includes(written.replace(/\/$/, ''))) return [];
  return [
    `uplink.url: ${JSON.stringify(written)} is not used: uplink.embeddedBroker is set, so the box publishes only to its own broker (${eb.port === 0 ? `mqtt://${eb.host}, on a free port` : own[0]}). Remove uplink.url to use the embedded broker, or remove uplink.embeddedBroker to publish to ${written}`,
  ];
}

/** Validate an already-parsed profile object; `file` names it in messages. */
export function parseProfile(input: unknown, file = 'profile'): Profile {
  const r = profileSchema.safeParse(input);
  if (r.success) {
    const problems = embeddedBrokerProblems(input, r.data);
    if (problems.length > 0) throw new ProfileError(file, problems);
    return r.data;
  }
  const problems = [...new Set(r.error.issues.map((i) => describeIssue(i, input)))];
  throw new ProfileError(file, problems);
}

/** A profile larger than this is refused before it is parsed (the demo profile is ~10 KiB). */
export const MAX_PROFILE_BYTES = 1024 * 1024;
/** Alias expansions allowed in a profile: anchors for shared settings, never a "billion laughs". */
export const MAX_PROFILE_ALIASES = 100;

/** Parse YAML text; syntax errors carry line and column. */
export function parseProfileText(text: string, file = 'profile.yaml'): Profile {
  if (Buffer.byteLength(text) > MAX_PROFILE_BYTES) throw new ProfileError(file, [`(top level): the profile is larger than ${MAX_PROFILE_BYTES / 1024} KiB; refused unread`]);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => {
      const pos = lineCounter.linePos(e.pos[0]);
      return `line ${pos.line}, column ${pos.col}: ${e.message.split('\n')[0]}`;
    });
    throw new ProfileError(file, problems);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_PROFILE_ALIASES });
  } catch (e) {
    // yaml throws (rather than reporting) when aliases expand past the limit: an alias bomb
    if (e instanceof ReferenceError && /alias/i.test(e.message)) {
      throw new ProfileError(file, [`(top level): aliases (*name) expand to too many nodes (more than ${MAX_PROFILE_ALIASES} times the document); refused as a resource exhaustion attack ("billion laughs")`]);
    }
    throw new ProfileError(file, [`(top level): ${(e as Error).message}`]);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ProfileError(file, ['(top level): a profile is a mapping with box, uplink, buses and devices']);
  }
  return parseProfile(value, file);
}


/** Paths in a profile that name files; relative ones are resolved against the profile's folder. */
function resolveFilePaths(p: Profile, dir: string): Profile {
  const abs = (f: string | undefined): string | undefined => (f === undefined || isAbsolute(f) ? f : resolve(dir, f));
  const u = p.uplink;
  if (u.passwordFile === undefined && u.tls === undefined) return p;
  const tls = u.tls ? { ...u.tls, ca: abs(u.tls.ca), cert: abs(u.tls.cert), key: abs(u.tls.key) } : undefined;
  const drop = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
  return { ...p, uplink: drop({ ...u, passwordFile: abs(u.passwordFile), tls: tls ? drop(tls) : undefined }) };
}

export function loadProfile(path: string): Profile {
  const r = readBounded(path, MAX_PROFILE_BYTES);
  if (!r.ok) throw new ProfileError(path, [r.problem.startsWith('cannot read') ? r.problem.replace('cannot read', 'cannot read the file') : `the file is ${r.problem}`]);
  return resolveFilePaths(parseProfileText(r.data.toString('utf8'), basename(path)), dirname(resolve(path)));
}
