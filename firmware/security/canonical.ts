/**
 * Canonical JSON (RFC 8785, the JSON Canonicalization Scheme), the byte form every command
 * envelope and reply is signed over (docs/security.md, "Canonical bytes"):
 * - object members sorted by key, compared as UTF-16 code units (JavaScript's default sort);
 * - no whitespace; strings escaped as ECMAScript JSON.stringify does (RFC 8785 §3.2.2.2);
 * - numbers as ECMAScript Number.prototype.toString (RFC 8785 §3.2.2.3): 1.0 → 1, 1e21 → 1e+21;
 * - non-finite numbers and values JSON cannot hold (undefined, functions) are refused.
 * JCS libraries exist for Java, Go, Python, C# and Rust, so a platform does not have to write it.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new Error('canonical JSON has no NaN or Infinity');
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj).sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
    }
    default:
      throw new Error(`canonical JSON cannot hold a ${typeof value}`);
  }
}

/** The bytes that are signed: a domain line (so a reply can never pass as a command), then the canonical JSON. */
export function signedBytes(domain: 'edgefw-cmd-v1' | 'edgefw-reply-v1', value: Record<string, unknown>): Buffer {
  const { sig: _sig, ...rest } = value;
  return Buffer.from(`${domain}\n${canonicalJson(rest)}`, 'utf8');
}
