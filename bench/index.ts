import { footprintBenchmark } from './footprint/index.js';
import { loopBenchmark } from './loop.js';
import { pipelineBenchmark } from './pipeline.js';
import { serialFramesBenchmark } from './serial-frames.js';
import { steadyBenchmark } from './steady.js';
import { siteBenchmark } from './site.js';
import type { Benchmark } from './types.js';
import { uplinkBenchmark } from './uplink.js';
import { securityBenchmark } from './security.js';

/** Every benchmark of `npm run bench`, in the order they run. */
export const BENCHMARKS: readonly Benchmark[] = [footprintBenchmark, loopBenchmark, serialFramesBenchmark, uplinkBenchmark, pipelineBenchmark, siteBenchmark, securityBenchmark, steadyBenchmark];
