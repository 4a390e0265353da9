/** Keys whose values never leave the box in a support bundle. */
const SECRET_KEY = /pass(word|phrase)?$|secret|token|credential|private|^key$|apikey|api_key|psk/i;
export const REMOVED = '<removed>';

/** user:password@ in any URL inside a text → <removed>@ ("mqtt://u:p@host:1883 unreachable") */
export function scrubUrls(s: string): string {
  return s.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, `$1${REMOVED}@`);
}

/**
 * A copy of a profile (or any JSON value) with secrets removed: values under secret-looking keys
 * (password, token, secret, key …) and credentials inside URLs. Depth-bounded.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 32) return REMOVED;
  if (typeof value === 'string') return scrubUrls(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) && v !== undefined && v !== null ? REMOVED : redact(v, depth + 1);
    return out;
  }
  return value;
}
