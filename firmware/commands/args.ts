/**
 * Arguments of a command: a strict object whose fields are strings, numbers or fixed words, each
 * bounded. Small on purpose (no schema library): the uplink worker checks every command's
 * arguments here before anything reaches the sampling thread, and neither thread should carry a
 * general validator for six commands (docs/footprint.md).
 */
export type ArgField =
  | { readonly kind: 'string'; readonly min?: number; readonly max: number; readonly pattern?: RegExp; readonly what?: string; readonly optional?: boolean }
  | { readonly kind: 'number'; readonly int?: boolean; readonly min: number; readonly max: number; readonly optional?: boolean }
  /** one of some words, or a number in [min, max] when `min`/`max` are given (output's value: on, off or 0…1) */
  | { readonly kind: 'word-or-number'; readonly words: readonly string[]; readonly min?: number; readonly max?: number; readonly optional?: boolean };

export type ArgShape = Readonly<Record<string, ArgField>>;

type FieldValue<F extends ArgField> = F extends { kind: 'string' } ? string : F extends { kind: 'number' } ? number : F extends { kind: 'word-or-number'; words: readonly (infer W)[] } ? W | number : never;
type OptionalKeys<S extends ArgShape> = { [K in keyof S]: S[K] extends { optional: true } ? K : never }[keyof S];
type RequiredKeys<S extends ArgShape> = Exclude<keyof S, OptionalKeys<S>>;
/** The checked arguments' type, for the handlers (firmware/commands/executor.ts). */
export type ArgsOf<S extends ArgShape> = { -readonly [K in RequiredKeys<S>]: FieldValue<S[K]> } & { -readonly [K in OptionalKeys<S>]?: FieldValue<S[K]> };

export interface ArgIssue {
  /** the argument's name; empty for the arguments object itself */
  readonly path: readonly string[];
  readonly message: string;
}

export type ArgCheck = { readonly success: true; readonly data: Record<string, unknown> } | { readonly success: false; readonly issues: readonly ArgIssue[] };

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? `"${v.length > 24 ? `${v.slice(0, 24)}…` : v}"` : typeof v === 'object' ? 'an object' : String(v);
}

function checkField(f: ArgField, v: unknown): string | undefined {
  switch (f.kind) {
    case 'string':
      if (typeof v !== 'string') return `expected a string, got ${describe(v)}`;
      if (v.length < (f.min ?? 0)) return `at least ${f.min} characters`;
      if (v.length > f.max) return `at most ${f.max} characters`;
      if (f.pattern && !f.pattern.test(v)) return `${describe(v)} is not ${f.what ?? `of the form ${f.pattern.source}`}`;
      return undefined;
    case 'number':
      if (typeof v !== 'number' || !Number.isFinite(v)) return `expected a number, got ${describe(v)}`;
      if (f.int && !Number.isInteger(v)) return `expected a whole number, got ${v}`;
      if (v < f.min || v > f.max) return `expected ${f.min} to ${f.max}, got ${v}`;
      return undefined;
    case 'word-or-number': {
      if (typeof v === 'string' && f.words.includes(v)) return undefined;
      const range = f.min !== undefined && f.max !== undefined ? ` or a number from ${f.min} to ${f.max}` : '';
      if (typeof v === 'number' && Number.isFinite(v) && f.min !== undefined && f.max !== undefined && v >= f.min && v <= f.max) return undefined;
      return `expected ${f.words.map((w) => `"${w}"`).join(', ')}${range}, got ${describe(v)}`;
    }
  }
}

/** Check arguments against a shape: every issue, unknown keys refused, nothing coerced. */
export function checkArgs(shape: ArgShape, args: unknown): ArgCheck {
  if (typeof args !== 'object' || args === null || Array.isArray(args)) return { success: false, issues: [{ path: [], message: `expected an object, got ${describe(args)}` }] };
  const issues: ArgIssue[] = [];
  const given = args as Record<string, unknown>;
  for (const k of Object.keys(given)) if (!Object.hasOwn(shape, k)) issues.push({ path: [k], message: `unknown argument (known: ${Object.keys(shape).join(', ') || 'none'})` });
  const data: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(shape)) {
    const v = given[k];
    if (v === undefined) {
      if (!f.optional) issues.push({ path: [k], message: 'required' });
      continue;
    }
    const problem = checkField(f, v);
    if (problem) issues.push({ path: [k], message: problem });
    else data[k] = v;
  }
  return issues.length > 0 ? { success: false, issues } : { success: true, data };
}
