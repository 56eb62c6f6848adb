import type { Benchmark } from './benchmark.ts';
import { SYNTHETIC_DEFINITIONS, syntheticBenchmark } from './synthetic/benchmarks.ts';

/** Every benchmark the harness can train on. Adding one: its definition plus one line here. */
export const BENCHMARKS: readonly Benchmark[] = [...SYNTHETIC_DEFINITIONS.map(syntheticBenchmark)];

export function benchmarkById(id: string): Benchmark | undefined {
  return BENCHMARKS.find((b) => b.id === id);
}
