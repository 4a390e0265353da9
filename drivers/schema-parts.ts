import { z } from 'zod';
import { hex } from './bus/i2c.js';

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * JSON Schema a part of the profile stands for in editors (config/json-schema.ts puts it in
 * place of what zod can derive from a transform): as strict as the loader where JSON Schema can
 * say it. Kept in the part's metadata under this key and removed from the output.
 */
export const EDITOR_SCHEMA = 'x-edgefw-editor';

/** A duration string as the loader reads it (`500ms`, `1.5s`, `5m`, `1h`), for editors. */
export const DURATION_PATTERN = '^\\s*\\d+(\\.\\d+)?\\s*(ms|s|m|h)\\s*$';

/** A duration in a profile: a number of milliseconds or a string like "250ms", "1s", "5m", "1h". */
export function duration(what: string, limits: { min?: number; max?: number } = {}): z.ZodType<number> {
  const min = limits.min ?? 0;
  const max = limits.max ?? Number.MAX_SAFE_INTEGER;
  return z
    .union([z.number(), z.string()])
    .transform((v, ctx) => {
      let ms: number;
      if (typeof v === 'number') ms = v;
      else {
        const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/.exec(v);
        if (!m) {
          ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration (write 500ms, 1s, 5m or 1h)` });
          return z.NEVER;
        }
        ms = Number(m[1]) * (UNITS[m[2] as string] ?? 1);
      }
      if (!Number.isFinite(ms) || ms < min || ms > max) {
        ctx.addIssue({ code: 'custom', message: `${what} ${ms} ms is outside ${min}..${max} ms` });
        return z.NEVER;
      }
      return ms;
    })
    .meta({
      description: `${what}: milliseconds, or a string such as "500ms", "1s", "5m"`,
      [EDITOR_SCHEMA]: { anyOf: [{ type: 'number', minimum: min, ...(max < Number.MAX_SAFE_INTEGER ? { maximum: max } : {}) }, { type: 'string', pattern: DURATION_PATTERN }] },
    });
}

/** "0x4a" → a pattern accepting 0x4a, 0X4A, 0x004a … as the loader does. */
function hexPattern(values: readonly number[]): string {
  const digits = (n: number): string =>
    n
      .toString(16)
      .split('')
      .map((c) => (/[a-f]/.test(c) ? `[${c}${c.toUpperCase()}]` : c))
      .join('');
  return `^0[xX]0*(${values.map(digits).join('|')})$`;
}

/** A 7-bit I²C address limited to what the part can be strapped to; accepts 0x76 or "0x76". */
export function i2cAddress(part: string, allowed: readonly number[]): z.ZodType<number> {
  const list = allowed.map((a) => hex(a)).join(', ');
  return z
    .union([z.number().int(), z.string()])
    .transform((v, ctx) => {
      const n = typeof v === 'number' ? v : /^0x[0-9a-f]+$/i.test(v) ? Number.parseInt(v, 16) : Number.NaN;
      if (!allowed.includes(n)) {
        const shown = typeof v === 'number' ? hex(v) : `"${v}"`;
        ctx.addIssue({ code: 'custom', message: `${shown} is not a ${part} address (${list})` });
        return z.NEVER;
      }
      return n;
    })
    .meta({ description: `I²C address of the ${part}: one of ${list}`, [EDITOR_SCHEMA]: { anyOf: [{ type: 'integer', enum: [...allowed] }, { type: 'string', pattern: hexPattern(allowed) }] } });
}

/** One of a fixed list of numbers, with the list in the error: "3 is not one of 1, 2, 4, 8, 16". */
export function oneOf<T extends number>(values: readonly T[]): z.ZodType<T> {
  return z
    .number()
    .refine((v) => values.includes(v as T), {
      error: (iss) => `${String(iss.input)} is not one of ${values.join(', ')}`,
    })
    .meta({ [EDITOR_SCHEMA]: { type: 'number', enum: [...values] } }) as unknown as z.ZodType<T>;
}
