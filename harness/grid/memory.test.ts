import { expect, test } from 'bun:test';
import { join } from 'node:path';
import { benchmarkById } from '../../datasets/registry.ts';
import { estimateCellBytes, RUNTIME_BYTES, workersWithinMemory } from './memory.ts';

const GiB = 1024 ** 3;

test('the pool runs no more workers than fit in the free memory, and says why', () => {
  expect(workersWithinMemory(4, 1 * GiB, 16 * GiB)).toEqual({ workers: 4 });
  const small = workersWithinMemory(4, 3 * GiB, 8 * GiB); // 0.8 x 8 / 3 = 2.1
  expect(small.workers).toBe(2);
  expect(small.reason).toBe('running 2 workers instead of 4: a cell needs up to 3.0 GiB and 8.0 GiB are available');
  expect(workersWithinMemory(2, 10 * GiB, 4 * GiB).workers).toBe(1); // always at least one
  expect(workersWithinMemory(2, 0, 1).workers).toBe(2); // unknown sizes: as asked
});

test('a Kinetics-600 Far-OOD cell is estimated from the declared sizes', () => {
  const b = benchmarkById('kinetics600-far')!;
  const rows = 40048 + 8463 + 8694 + 5673 + 1810 + 3381 + 4871;
  expect(b.declaredRows).toBe(rows);
  const bytes = estimateCellBytes(b, ['video', 'flow']);
  // float32 data, four D x D float64 matrices for the scorers, the runtime
  expect(bytes).toBe(rows * 4352 * 4 + 4 * 4352 * 4352 * 8 + RUNTIME_BYTES);
  expect(bytes / GiB).toBeGreaterThan(2);
  expect(bytes / GiB).toBeLessThan(3);
  expect(estimateCellBytes(benchmarkById('synthetic-near')!, ['video', 'flow'])).toBe(0); // no declared rows: unknown
});

test('run sizes its pool from --memory: one worker where two do not fit, and it says so', () => {
  const root = join(import.meta.dir, '..', '..');
  const example = join(root, 'examples', 'benchmarks', 'toy-har-near');
  const plan = (memory: string) => {
    const p = Bun.spawnSync([process.execPath, join(root, 'harness', 'cli.ts'), 'run', '--benchmark-dir', example, '--recipes', 'baseline', '--seeds', '0,1', '--workers', '2', '--memory', memory, '--dry-run', '--json'], { cwd: root, stdout: 'pipe', stderr: 'pipe' });
    return { code: p.exitCode, workers: p.exitCode === 0 ? (JSON.parse(p.stdout.toString()) as { workers: number }).workers : -1, stderr: p.stderr.toString() };
  };
  // a toy cell still needs the runtime's 512 MiB: 0.8 x 0.5 GiB holds none, 0.8 x 2 GiB holds three
  const small = plan('0.5');
  expect(small.workers).toBe(1);
  expect(small.stderr).toMatch(/running 1 worker instead of 2: a cell needs up to 0\.5 GiB and 0\.5 GiB are available/);
  expect(plan('2').workers).toBe(2);
  const bad = plan('lots');
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('--memory lots: expected a positive number of GiB');
}, 60_000);
