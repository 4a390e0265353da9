/**
 * Preload for `bench footprint`'s "where the memory goes": `node --import <this file> …` with
 * EDGEFW_HEAP_REPORT_DIR=<dir> makes every thread (main and workers: they inherit the preload)
 * write its V8 heap figures to <dir>/<threadId>.json every 500 ms.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { isMainThread, threadId } from 'node:worker_threads';

export interface ThreadHeap {
  readonly threadId: number;
  readonly main: boolean;
  /** heap reserved from the OS (committed), MB */
  readonly committedMb: number;
  readonly usedMb: number;
  /** committed by space: new_space (young generation), old_space, code_space, large_object_space … */
  readonly spacesMb: Readonly<Record<string, number>>;
  /** Buffers and other memory outside the heap that V8 knows of, MB */
  readonly externalMb: number;
  /** when this report was written (Date.now()): a thread that ended (the profile check) stops writing */
  readonly at: number;
}

const dir = process.env.EDGEFW_HEAP_REPORT_DIR;
if (dir) {
  const mb = (b: number): number => Math.round((b / 1048576) * 10) / 10;
  const write = (): void => {
    const h = getHeapStatistics();
    const spaces: Record<string, number> = {};
    for (const s of getHeapSpaceStatistics()) spaces[s.space_name] = mb(s.space_size);
    const report: ThreadHeap = { threadId, main: isMainThread, committedMb: mb(h.total_heap_size), usedMb: mb(h.used_heap_size), spacesMb: spaces, externalMb: mb(h.external_memory), at: Date.now() };
    try {
      writeFileSync(join(dir, `${threadId}.json`), JSON.stringify(report));
    } catch {
      /* the benchmark removed the folder: the process is being stopped */
    }
  };
  setInterval(write, 500).unref();
}
