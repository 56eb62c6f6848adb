import type { Benchmark } from '../../datasets/benchmark.ts';

/**
 * How many cells fit in memory at once. A cell holds its data as float64 matrices (rows x input
 * width), its model's outputs on every split (rows x embedding width, float64), and the scorers'
 * D x D statistics (a Gram matrix and the eigensolver's work space). The estimate is an upper
 * bound from the benchmark's declared sizes; the pool runs no more workers than fit in the free
 * memory, and says so.
 */

/** Bytes one cell of `benchmark` with `modalities` needs at most (0 when its sizes are not declared). */
export function estimateCellBytes(benchmark: Pick<Benchmark, 'modalities' | 'declaredRows'>, modalities: readonly string[]): number {
  const rows = benchmark.declaredRows ?? 0;
  const width = modalities.reduce((s, m) => s + (benchmark.modalities.find((x) => x.name === m)?.dim ?? 0), 0);
  const data = rows * width * 8;
  const outputs = rows * width * 8;
  const scorers = 3 * width * width * 8;
  return data + outputs + scorers;
}

export interface WorkerBudget {
  /** workers to run */
  readonly workers: number;
  /** why fewer than asked, one line; absent when all asked run */
  readonly reason?: string;
}

const GiB = 1024 ** 3;

/** Workers for cells needing up to `cellBytes` each, within `freeBytes` (80% of it, leaving room for the rest of the machine). */
export function workersWithinMemory(requested: number, cellBytes: number, freeBytes: number): WorkerBudget {
  if (cellBytes <= 0 || requested <= 1) return { workers: Math.max(1, requested) };
  const fit = Math.max(1, Math.floor((0.8 * freeBytes) / cellBytes));
  if (fit >= requested) return { workers: requested };
  return {
    workers: fit,
    reason: `running ${fit} worker${fit > 1 ? 's' : ''} instead of ${requested}: a cell needs up to ${(cellBytes / GiB).toFixed(1)} GiB and ${(freeBytes / GiB).toFixed(1)} GiB are free`,
  };
}
