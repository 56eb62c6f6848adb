import { expect, test } from 'bun:test';
import { benchmarkById } from '../../datasets/registry.ts';
import { estimateCellBytes, workersWithinMemory } from './memory.ts';

const GiB = 1024 ** 3;

test('the pool runs no more workers than fit in the free memory, and says why', () => {
  expect(workersWithinMemory(4, 1 * GiB, 16 * GiB)).toEqual({ workers: 4 });
  const small = workersWithinMemory(4, 3 * GiB, 8 * GiB); // 0.8 x 8 / 3 = 2.1
  expect(small.workers).toBe(2);
  expect(small.reason).toBe('running 2 workers instead of 4: a cell needs up to 3.0 GiB and 8.0 GiB are free');
  expect(workersWithinMemory(2, 10 * GiB, 4 * GiB).workers).toBe(1); // always at least one
  expect(workersWithinMemory(2, 0, 1).workers).toBe(2); // unknown sizes: as asked
});

test('a Kinetics-600 Far-OOD cell is estimated from the declared sizes', () => {
  const b = benchmarkById('kinetics600-far')!;
  const rows = 40048 + 8463 + 8694 + 5673 + 1810 + 3381 + 4871;
  expect(b.declaredRows).toBe(rows);
  const bytes = estimateCellBytes(b, ['video', 'flow']);
  expect(bytes).toBe(rows * 4352 * 16 + 3 * 4352 * 4352 * 8);
  expect(bytes / GiB).toBeGreaterThan(4);
  expect(estimateCellBytes(benchmarkById('synthetic-near')!, ['video', 'flow'])).toBe(3 * 80 * 80 * 8); // no declared rows
});
