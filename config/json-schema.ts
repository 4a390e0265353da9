import { z } from 'zod';
import { profileSchema } from './schema.js';

/**
 * JSON Schema of a profile as a person writes it (input side: "1s" durations, "0x76"
 * addresses). Committed as config/profile.schema.json for editors; a test fails when stale.
 */
export function profileJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(profileSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, $id: 'https://edgefw.dev/profile.schema.json', title: 'edgefw box profile' };
}
