/**
 * A full garbage collection where the runtime offers one (Bun). The large typed arrays of a cell
 * (a split's features, a D x D matrix) go back to the system only when the collector runs, and a
 * phase that allocates little may not start it for hundreds of MiB. The few places that drop
 * such arrays call this, so that a cell's peak memory is what it uses, not what happens to be
 * waiting for collection (measured by bench/memory.ts). A full collection of the harness's small
 * object heap takes milliseconds.
 */
export function collectGarbage(): void {
  (globalThis as { Bun?: { gc(force: boolean): void } }).Bun?.gc(true);
}
