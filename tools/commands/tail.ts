import type { Command } from 'commander';
import mqtt from 'mqtt';
import { mqttUrl } from '../options.js';

interface TailOptions {
  url: string;
  box: string;
  prefix: string;
  json?: boolean;
  count?: string;
}

/** One line a technician can read for each message a box publishes. */
export function formatMessage(topic: string, payload: string): string {
  let p: Record<string, unknown>;
  try {
    p = JSON.parse(payload) as Record<string, unknown>;
  } catch {
    return `${topic}  (not JSON, ${payload.length} bytes)`;
  }
  const kind = topic.split('/').slice(2).join('/');
  if (kind === 'telemetry' && Array.isArray(p.samples)) {
    return (p.samples as { dev: string; seq: number; t: number; tq: string; v: Record<string, number | null>; u: Record<string, string>; w?: { start: number; end: number; n: number } }[])
      .map((s) => {
        const vals = Object.entries(s.v)
          .map(([ch, v]) => `${ch}=${v === null ? 'null' : v}${s.u[ch] ? ` ${s.u[ch]}` : ''}`)
          .join(' ');
        // an aggregate says what its numbers stand for: the window and how many samples it holds
        const w = s.w ? ` [window ${new Date(s.w.start).toISOString()} … ${new Date(s.w.end).toISOString()}, n=${s.w.n}]` : '';
        return `${new Date(s.t).toISOString()} ${String(p.box)} ${s.dev} #${s.seq} ${vals}${w}${s.tq === 'none' ? ' (clock unsynced)' : ''}`;
      })
      .join('\n');
  }
  if (kind === 'status') return `STATUS ${String(p.box)} ${String(p.state)} boot=${String(p.boot)} fw=${String(p.fw)}${p.reason ? ` (${String(p.reason)})` : ''}`;
  if (kind === 'faults' && Array.isArray(p.active)) {
    const a = p.active as { code: string; subject?: string; severity: string }[];
    return `FAULTS ${String(p.box)} ${a.length === 0 ? 'none active' : a.map((f) => `${f.severity.toUpperCase()} ${f.code}${f.subject ? `@${f.subject}` : ''}`).join(', ')}`;
  }
  if (kind === 'health') {
    const h = p as { cpu?: { celsius: number }; memory?: { availableMb: number }; disk?: { freeMb: number }; loopDelay?: { maxMs: number }; rssMb?: number; uplink?: { pending: number; dropped: number } };
    const parts = [
      h.cpu ? `cpu ${Math.round(h.cpu.celsius * 10) / 10} °C` : undefined,
      h.memory ? `mem ${Math.round(h.memory.availableMb)} MiB free` : undefined,
      h.disk ? `disk ${Math.round(h.disk.freeMb)} MiB free` : undefined,
      h.loopDelay ? `loop max ${h.loopDelay.maxMs} ms` : undefined,
      h.rssMb !== undefined ? `rss ${h.rssMb} MiB` : undefined,
      h.uplink ? `waiting ${h.uplink.pending} dropped ${h.uplink.dropped}` : undefined,
    ].filter(Boolean);
    return `HEALTH ${String(p.box)} ${parts.join(', ')}`;
  }
  if (kind === 'commissioning' || kind === 'cmd/diag/reply') {
    const r = (kind === 'commissioning' ? p : (p.result as { report?: unknown } | undefined)?.report) as { verdict?: string; profileHash?: string; checks?: { verdict: string; name: string }[] } | undefined;
    const bad = (r?.checks ?? []).filter((c) => c.verdict !== 'PASS').map((c) => `${c.verdict} ${c.name}`);
    return `${kind === 'commissioning' ? 'COMMISSIONED' : 'DIAG'} ${String(p.box)} ${r?.verdict ?? `REFUSED ${String(p.reason)}: ${String(p.error)}`} profile ${r?.profileHash ?? '?'}${bad.length ? `: ${bad.join(', ')}` : ''}`;
  }
  // replies are signed by the box; tail only shows them (edgefw cmd verifies)
  if (/^cmd\/[^/]+\/reply$/.test(kind)) return `REPLY ${String(p.box)} ${String(p.cmd)} ${p.ok ? 'OK' : `REFUSED ${String(p.reason)}: ${String(p.error)}`}`;
  if (kind === 'commands/events') {
    const extra = [p.reason, p.count !== undefined ? `×${String(p.count)}` : undefined, p.signer ? `by ${String(p.signer)}` : undefined].filter(Boolean).join(' ');
    return `COMMAND ${String(p.box)} ${String(p.cmd)} ${String(p.outcome).toUpperCase()}${extra ? ` ${extra}` : ''}`;
  }
  if (kind === 'faults/events') {
    const f = p.fault as { code: string; subject?: string; message: string; remedy: string } | undefined;
    return `FAULT ${String(p.transition).toUpperCase()} ${f?.code ?? '?'}${f?.subject ? `@${f.subject}` : ''}: ${f?.message ?? ''}\n    remedy: ${f?.remedy ?? ''}`;
  }
  return `${topic} ${payload}`;
}

export function registerTail(program: Command): void {
  program
    .command('tail')
    .description('subscribe to what boxes publish and print it readably')
    .option('-u, --url <url>', 'broker URL', mqttUrl, 'mqtt://127.0.0.1:1883')
    .option('-b, --box <id>', 'box id, or + for every box', '+')
    .option('--prefix <prefix>', 'topic prefix of the boxes', 'edgefw')
    .option('-n, --count <n>', 'exit after n messages')
    .option('--json', 'print raw topic and payload as JSON lines')
    .action((opts: TailOptions) => {
      const client = mqtt.connect(opts.url, { reconnectPeriod: 2000, clientId: `edgefw-tail-${process.pid}` });
      const limit = opts.count ? Number(opts.count) : Number.POSITIVE_INFINITY;
      let seen = 0;
      client.on('connect', () => {
        client.subscribe(`${opts.prefix}/${opts.box}/#`, { qos: 1 });
        if (!opts.json) console.error(`tailing ${opts.prefix}/${opts.box}/# on ${opts.url}`);
      });
      client.on('error', (e) => console.error(`broker: ${e.message}`));
      client.on('message', (topic, payload) => {
        const text = payload.toString('utf8');
        if (opts.json) {
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            /* keep the raw text */
          }
          console.log(JSON.stringify({ topic, payload: parsed }));
        } else console.log(formatMessage(topic, text));
        if (++seen >= limit) client.end(false, {}, () => process.exit(0));
      });
      const stop = (): void => {
        client.end(true, {}, () => process.exit(0));
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
}
