import type { Benchmark } from './benchmark.ts';
import { SYNTHETIC_DEFINITIONS, syntheticBenchmark } from './synthetic/benchmarks.ts';
import { MULTIOOD_DEFINITIONS } from './multiood/definitions.ts';
import { multioodBenchmark } from './multiood/feature-benchmark.ts';
import { utdMhadNearBenchmark } from './utd-mhad/benchmark.ts';

/** Every benchmark the harness can train on. Adding one: its definition plus one line here. */
export const BENCHMARKS: readonly Benchmark[] = [
  ...SYNTHETIC_DEFINITIONS.map(syntheticBenchmark),
  ...MULTIOOD_DEFINITIONS.map((d) => multioodBenchmark(d)),
  utdMhadNearBenchmark(),
];

export function benchmarkById(id: string): Benchmark | undefined {
  return BENCHMARKS.find((b) => b.id === id);
}
