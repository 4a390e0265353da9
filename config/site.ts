import { z } from 'zod';
import { duration } from '../drivers/schema-parts.js';

/**
 * The on-site technician page (`site:` in a profile, docs/site.md). Off unless `site.http` is
 * set: a box serves nothing on the network by default.
 */
export const siteSchema = z
  .strictObject({
    http: z
      .strictObject({
        host: z.string().min(1).default('127.0.0.1').meta({ description: 'address to listen on; 127.0.0.1 keeps the page on the box (reach it over an ssh tunnel), 0.0.0.0 opens it to the service LAN' }),
        port: z.number().int().min(0).max(65535).default(8080).meta({ description: 'TCP port (0: any free port, printed in the log)' }),
        maxConnections: z.number().int().min(2).max(1000).default(32).meta({ description: 'open connections at most; more are closed at once' }),
        sessionTtl: duration('site.http.sessionTtl', { min: 60_000, max: 86_400_000 }).default(1_800_000).meta({ description: 'a technician session ends after this long without an action' }),
        allow: z
          .array(z.enum(['ack', 'output']))
          .default([])
          .meta({ description: 'signed-command permissions a logged-in technician has on the page: ack (acknowledge faults), output (switch an output for a bounded time); default none: those buttons are absent' }),
      })
      .optional()
      .meta({ description: 'serve the technician page over HTTP; unset = no server' }),
  })
  .prefault({})
  .meta({ description: 'the on-site technician page' });

export type SiteConfig = z.infer<typeof siteSchema>;
