/**
 * Garbage collection at the few places that drop large arrays. The large typed arrays of a cell
 * (a split's features, a D x D matrix) go back to the system only when the collector runs, and a
 * phase that allocates little may not start it for hundreds of MiB; those places call
 * `collectGarbage(bytes)` with the size of what they dropped, so that a cell's peak memory is what
 * it uses, not what happens to be waiting for collection (measured by bench/memory.ts). A full
 * collection costs 10-40 ms, so arrays below COLLECT_ABOVE_BYTES (every embedded benchmark's) are
 * left to the runtime's own schedule.
 */
export const COLLECT_ABOVE_BYTES = 64 * 2 ** 20;

/** A full collection where the runtime offers one (Bun), when `bytes` were just dropped and they are worth it. */
export function collectGarbage(bytes: number): void {
  if (bytes < COLLECT_ABOVE_BYTES) return;
  (globalThis as { Bun?: { gc(force: boolean): void } }).Bun?.gc(true);
}

/** Bytes held by the feature matrices of some splits. */
export function featureBytes(matrices: Iterable<{ readonly data: { readonly byteLength: number } }>): number {
  let total = 0;
  for (const m of matrices) total += m.data.byteLength;
  return total;
}
