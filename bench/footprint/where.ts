import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { ThreadHeap } from './heap-report.js';

type Extra = { nodeArgs?: string[]; env?: Record<string, string>; beforeStop?: (pid: number) => Promise<void> };

const f1 = (n: number): string => n.toFixed(1);

/**
 * One more edgefw run on the job with two preloads: each thread's V8 heap (heap-report.ts) and
 * the modules the main thread loaded (count-modules.ts). Returns note lines for the table.
 */
export async function whereMemoryGoes(run: (extra: Extra) => Promise<{ rssMb: number }>): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'edgefw-where-'));
  const modulesOut = join(dir, 'modules.json');
  let heaps: ThreadHeap[] = [];
  let modules: string[] = [];
  let ended = 0;
  try {
    const r = await run({
      nodeArgs: ['--import', fileURLToPath(new URL('./heap-report.js', import.meta.url)), '--import', fileURLToPath(new URL('./count-modules.js', import.meta.url))],
      env: { EDGEFW_HEAP_REPORT_DIR: dir, EDGEFW_MODULES_OUT: modulesOut },
      beforeStop: async (pid) => {
        process.kill(pid, 'SIGUSR2');
        for (let i = 0; i < 100 && !existsSync(modulesOut); i++) await sleep(50);
        modules = existsSync(modulesOut) ? (JSON.parse(readFileSync(modulesOut, 'utf8')) as string[]) : [];
        const all = readdirSync(dir)
          .filter((f) => /^\d+\.json$/.test(f))
          .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as ThreadHeap)
          .sort((a, b) => a.threadId - b.threadId);
        // threads still running report every 500 ms; the profile check's thread ended at start
        ended = all.filter((h) => Date.now() - h.at > 2000).length;
        heaps = all.filter((h) => Date.now() - h.at <= 2000);
      },
    });
    const thread = (h: ThreadHeap): string => {
      const sp = h.spacesMb;
      const young = (sp.new_space ?? 0) + (sp.new_large_object_space ?? 0);
      return `${h.main ? 'main (sampling)' : `worker ${h.threadId}`}: heap ${f1(h.committedMb)} MB committed (${f1(h.usedMb)} used; young ${f1(young)}, old ${f1(sp.old_space ?? 0)}, code ${f1(sp.code_space ?? 0)}, large ${f1(sp.large_object_space ?? 0)}), external ${f1(h.externalMb)}`;
    };
    const heapSum = heaps.reduce((a, h) => a + h.committedMb, 0);
    const byPackage = new Map<string, number>();
    for (const u of modules) {
      const p = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u)?.[1] ?? 'edgefw';
      byPackage.set(p, (byPackage.get(p) ?? 0) + 1);
    }
    const top = [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([p, n]) => `${p} ${n}`).join(', ');
    return [
      `where the memory goes (one more edgefw run, RSS ${f1(r.rssMb)} MB): ${heaps.map(thread).join('; ')}; outside the V8 heaps (node itself, compiled code, SQLite, buffers, thread stacks) ${f1(r.rssMb - heapSum)} MB${ended ? `; ${ended} thread${ended === 1 ? '' : 's'} that ended before the window (the profile check) not counted` : ''}`,
      `modules loaded on the main thread: ${modules.length} (${top})`,
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
