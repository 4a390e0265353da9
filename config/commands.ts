import { z } from 'zod';
import { duration } from '../drivers/schema-parts.js';
import { PERMISSIONS } from '../firmware/commands/specs.js';
import { parsePublicKey } from '../firmware/security/keys.js';

const trustEntry = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/).refine((n) => n !== 'box', { error: '"box" is the name of the box\'s own key; choose another' }).meta({ description: 'who holds the key ("platform", "tech-anna"); in replies, events and the log' }),
    key: z
      .string()
      .refine((s) => {
        try {
          parsePublicKey(s);
          return true;
        } catch {
          return false;
        }
      }, { error: (iss) => `${JSON.stringify(String(iss.input).slice(0, 60))} is not an Ed25519 public key (44 base64 characters, as in a .pub file from edgefw keygen)` })
      .optional()
      .meta({ description: 'Ed25519 public key: raw 32 bytes in base64' }),
    keyFile: z.string().min(1).optional().meta({ description: 'or: a .pub file written by `edgefw keygen` (relative to the working directory)' }),
    create: z.boolean().default(false).meta({ description: 'demo and laptops only: create the key pair at keyFile (private key without .pub, 0600) when it does not exist' }),
    allow: z
      .array(z.enum(PERMISSIONS as [string, ...string[]]))
      .min(1)
      .meta({ description: `commands this key may send: ${PERMISSIONS.join(', ')}` }),
  })
  .superRefine((t, ctx) => {
    if ((t.key === undefined) === (t.keyFile === undefined)) ctx.addIssue({ code: 'custom', path: ['key'], message: 'give exactly one of key or keyFile' });
    if (t.create && !t.keyFile?.endsWith('.pub')) ctx.addIssue({ code: 'custom', path: ['create'], message: 'create needs a keyFile ending in .pub (the private key is written beside it, without .pub)' });
  });

/** Signed commands (`commands:` in a profile; docs/security.md). */
export const commandsSchema = z
  .strictObject({
    trust: z.array(trustEntry).default([]).meta({ description: 'keys that may send commands, each with the commands it may send; empty = read-only box (every command refused)' }),
    maxBytes: z.number().int().min(256).max(262_144).default(16_384).meta({ description: 'larger command payloads are refused unread, bytes' }),
    rate: z
      .strictObject({
        perTopic: z.number().min(0.01).max(1_000_000).default(2).meta({ description: 'messages per second on one cmd/<name> topic' }),
        total: z.number().min(0.01).max(1_000_000).default(10).meta({ description: 'messages per second on all command topics together' }),
        burst: z.number().int().min(1).max(1000).default(10).meta({ description: 'messages that may arrive at once on one topic before the rates apply (twice as many on all topics together)' }),
      })
      .prefault({})
      .meta({ description: 'messages over these rates are refused (counted, not answered)' }),
    skew: duration('commands.skew', { min: 0, max: 3_600_000 }).default(30_000).meta({ description: 'clock difference allowed between the sender and the box' }),
    maxLifetime: duration('commands.maxLifetime', { min: 1000, max: 86_400_000 }).default(300_000).meta({ description: 'exp − iat of an envelope, at most' }),
    json: z
      .strictObject({
        maxDepth: z.number().int().min(2).max(64).default(8),
        maxString: z.number().int().min(16).max(65_536).default(2048),
        maxItems: z.number().int().min(8).max(65_536).default(512),
      })
      .prefault({})
      .meta({ description: 'JSON nesting, string length and value count, checked before parsing' }),
    replayCache: z.number().int().min(100).max(1_000_000).default(10_000).meta({ description: 'nonces of accepted commands remembered, at most' }),
    refusalFault: z.number().int().min(1).max(1_000_000).default(20).meta({ description: 'COMMANDS_REFUSED after this many refusals within a minute' }),
  })
  .prefault({});

export type CommandsConfig = z.infer<typeof commandsSchema>;

