import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { buildSupportBundle } from '../support/bundle.js';
import type { Actor } from './actions.js';
import { SECURITY_HEADERS } from './http-util.js';
import type { SiteSource } from './state.js';

/** GET /api/support-bundle: the running service's bundle (its diag report, health, faults) as a download. */
export async function streamSupportBundle(src: SiteSource, res: ServerResponse, actor: Actor, log: Logger): Promise<void> {
  const diag = src.diagnostics();
  const report = diag ? await diag.diagnose() : undefined;
  const bundle = await buildSupportBundle({
    profile: src.profile,
    ...(report ? { diag: report } : {}),
    health: diag?.latestHealth(),
    faults: src.faults.active(),
    requestedBy: `${actor.who} (technician page, ${actor.client})`,
  }, src.clock.wallMs());
  log.info({ who: actor.who, client: actor.client, bytes: bundle.data.length }, `support bundle downloaded by ${actor.who}`);
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-type': 'application/gzip',
    'content-length': bundle.data.length,
    'content-disposition': `attachment; filename="${bundle.fileName}"`,
    'cache-control': 'no-store',
  });
  res.end(bundle.data);
}
