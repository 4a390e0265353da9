import type { Command } from 'commander';
import { BENCHMARKS } from '../../bench/index.js';
import type { BenchResult } from '../../bench/types.js';

function table(r: BenchResult): string {
  const cells = [r.columns.map(String), ...r.rows.map((row) => row.map(String))];
  const widths = r.columns.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: readonly string[]): string => `| ${row.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [`### ${r.title}`, '', line(cells[0] ?? []), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.slice(1).map(line), '', ...r.notes.map((n) => `- ${n}`), ''].join('\n');
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description(`run benchmarks (${BENCHMARKS.map((b) => b.name).join(', ')}) and print Markdown tables`)
    .argument('[names...]', 'benchmarks to run (default: all)')
    .option('-s, --seconds <n>', 'measured seconds per scenario', process.env.EDGEFW_BENCH_SECONDS ?? '60')
    .option('--json', 'print results as JSON')
    .option('--with-node-red', 'footprint: install Node-RED 4 into a scratch folder (not a dependency) and compare with it')
    .option('--rounds <n>', 'footprint: interleaved rounds', '3')
    .action(async (names: string[], opts: { seconds: string; json?: boolean; withNodeRed?: boolean; rounds: string }) => {
      const chosen = names.length ? BENCHMARKS.filter((b) => names.includes(b.name)) : BENCHMARKS;
      const unknown = names.filter((n) => !BENCHMARKS.some((b) => b.name === n));
      if (unknown.length) {
        console.error(`unknown benchmark ${unknown.join(', ')} (have ${BENCHMARKS.map((b) => b.name).join(', ')})`);
        process.exitCode = 2;
        return;
      }
      const results: BenchResult[] = [];
      console.error(`edgefw bench on Node ${process.version}, ${new Date().toISOString()}`);
      for (const b of chosen) {
        const r = await b.run({ seconds: Number(opts.seconds), log: (l) => console.error(l), withNodeRed: opts.withNodeRed === true, rounds: Number(opts.rounds) });
        results.push(r);
        if (!opts.json) console.log(table(r));
      }
      if (opts.json) console.log(JSON.stringify(results, null, 2));
      process.exit(0);
    });
}
