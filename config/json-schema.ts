import { z } from 'zod';
import { DEVICE_TYPES } from '../drivers/registry.js';
import { EDITOR_SCHEMA } from '../drivers/schema-parts.js';
import type { DeviceDefinition } from '../drivers/types.js';
import { profileSchema } from './schema.js';

type Json = Record<string, unknown>;

/**
 * JSON Schema of a profile as a person writes it (input side: "1s" durations, "0x76"
 * addresses). Committed as config/profile.schema.json for editors; a test fails when stale.
 *
 * As strict as the loader wherever JSON Schema can say it, and compiled by Ajv in strict mode
 * (test/config/json-schema.test.ts):
 * - durations, I²C addresses and fixed number lists carry the shape their part declares
 *   (drivers/schema-parts.ts `EDITOR_SCHEMA`): `2x`, `-5s` and `0x200` are refused;
 * - a device entry is chosen by its `type` (if/then on a `type` enum), so a typo in one device
 *   gives the errors of that device's type only, and an unknown type one error;
 * - the channel names of a type whose channels do not depend on its options are an enum.
 * What only the loader checks: cross references (bus names, ids used twice, addresses taken),
 * duration ranges written as strings, and rules between keys (docs/profile.md).
 */
export function profileJsonSchema(): Json {
  const schema = z.toJSONSchema(profileSchema, { io: 'input', unrepresentable: 'any', override: ({ jsonSchema }) => useEditorShape(jsonSchema as Json) }) as Json;
  const devices = ((schema.properties as Json).devices as Json).items as Json;
  ((schema.properties as Json).devices as Json).items = byType(devices);
  return { ...schema, $id: 'https://edgefw.dev/profile.schema.json', title: 'edgefw box profile' };
}

/** Replace what zod derived with the shape the part declared for editors. */
function useEditorShape(js: Json): void {
  const shape = js[EDITOR_SCHEMA] as Json | undefined;
  if (!shape) return;
  if (shape.$merge) {
    delete js[EDITOR_SCHEMA];
    Object.assign(js, shape.$merge);
    return;
  }
  const keep = { description: js.description, default: js.default };
  for (const k of Object.keys(js)) delete js[k];
  Object.assign(js, shape);
  if (keep.description !== undefined) js.description = keep.description;
  if (keep.default !== undefined) js.default = keep.default;
}

/** The union of device schemas → a `type` enum and one if/then per type. */
function byType(union: Json): Json {
  const branches = (union.oneOf ?? union.anyOf) as Json[] | undefined;
  if (!branches) throw new Error('devices: expected a union of device schemas');
  const types: string[] = [];
  const allOf = branches.map((b) => {
    const props = b.properties as Json;
    const type = (props.type as Json).const as string;
    types.push(type);
    const names = staticChannels(DEVICE_TYPES.find((d) => d.type === type));
    const channels = props.channels as Json | undefined;
    if (names && channels) props.channels = { ...channels, propertyNames: { enum: names } };
    return { if: { type: 'object', properties: { type: { const: type } }, required: ['type'] }, then: b };
  });
  return {
    type: 'object',
    description: 'a device; its `type` decides which keys it has (docs/devices.md)',
    properties: { type: { enum: types, description: 'the part: decides the other keys of the entry' } },
    required: ['type'],
    allOf,
  };
}

/**
 * Channel names of a device type, when they do not depend on what the entry says (a BME280
 * always has temperature and pressure, humidity with variant bme280). Asked with no options and
 * with each value of each enum option; a type whose channels come from its options (ADS1115
 * inputs, Firmata pins, Modbus registers) gives undefined and its channel names stay free.
 */
function staticChannels(def: DeviceDefinition<never> | undefined): string[] | undefined {
  if (!def) return undefined;
  const probes: Json[] = [{}];
  for (const [key, s] of Object.entries(def.options as Record<string, z.ZodType>)) {
    let inner = s as unknown as { def?: { type?: string; innerType?: unknown; entries?: Record<string, unknown> } };
    while (inner.def?.innerType) inner = inner.def.innerType as typeof inner;
    if (inner.def?.type === 'enum' && inner.def.entries) for (const v of Object.values(inner.def.entries)) probes.push({ [key]: v });
  }
  const names = new Set<string>();
  let answered = 0;
  for (const probe of probes) {
    try {
      for (const c of def.channels(probe as never)) names.add(c.name);
      answered++;
    } catch {
      /* needs options this probe does not have */
    }
  }
  // every probe must answer: one that throws means the list depends on more than enums
  return answered === probes.length && names.size > 0 ? [...names] : undefined;
}
