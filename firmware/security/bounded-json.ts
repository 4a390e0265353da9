/** Bounds on a JSON text checked before JSON.parse ever sees it. */
export interface JsonLimits {
  /** nesting of objects and arrays, at most */
  readonly maxDepth: number;
  /** characters in one string (key or value) as written, at most */
  readonly maxString: number;
  /** values, keys included, at most */
  readonly maxItems: number;
}

export const DEFAULT_JSON_LIMITS: JsonLimits = { maxDepth: 8, maxString: 2048, maxItems: 512 };

export type BoundedParse = { ok: true; value: unknown } | { ok: false; error: string };

/**
 * Parse JSON only after one linear pass has checked depth, string length and item count: a
 * 16 KiB payload of nested brackets or a long string is refused without building anything.
 * The pass only counts; JSON.parse still decides whether the text is valid JSON.
 */
export function parseBoundedJson(text: string, limits: JsonLimits = DEFAULT_JSON_LIMITS): BoundedParse {
  let depth = 0;
  let items = 0;
  let inString = false;
  let stringStart = 0;
  let scalar = false; // inside a number / true / false / null
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) {
        inString = false;
        if (i - stringStart - 1 > limits.maxString) return { ok: false, error: `a string of ${i - stringStart - 1} characters at offset ${stringStart} (at most ${limits.maxString})` };
      }
      continue;
    }
    if (c === 0x22) {
      inString = true;
      stringStart = i;
      scalar = false;
      if (++items > limits.maxItems) return { ok: false, error: `more than ${limits.maxItems} values` };
    } else if (c === 0x7b || c === 0x5b) {
      scalar = false;
      if (++depth > limits.maxDepth) return { ok: false, error: `nested deeper than ${limits.maxDepth} levels at offset ${i}` };
      if (++items > limits.maxItems) return { ok: false, error: `more than ${limits.maxItems} values` };
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
      scalar = false;
    } else if (c === 0x2c || c === 0x3a || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
      scalar = false;
    } else if (!scalar) {
      scalar = true;
      if (++items > limits.maxItems) return { ok: false, error: `more than ${limits.maxItems} values` };
    }
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return { ok: false, error: `not JSON (${(e as Error).message})` };
  }
}

/** A value for a log line or an echo: at most `max` characters, marked when cut. */
export function truncate(text: string, max = 64): string {
  return text.length <= max ? text : `${text.slice(0, max)}…(${text.length} chars)`;
}
