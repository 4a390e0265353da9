/** One benchmark of `edgefw bench`: runs, then returns rows for the printed table. */
export interface Benchmark {
  readonly name: string;
  readonly description: string;
  run(options: BenchOptions): Promise<BenchResult>;
}

export interface BenchOptions {
  /** measured duration per scenario, s */
  readonly seconds: number;
  readonly log: (line: string) => void;
  /** footprint: install Node-RED into a scratch folder if needed and compare with it */
  readonly withNodeRed?: boolean;
  /** interleaved rounds where a benchmark repeats its contenders (footprint: 3) */
  readonly rounds?: number;
}

export interface BenchResult {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly (string | number)[])[];
  /** one-line verdicts against the targets */
  readonly notes: readonly string[];
}
