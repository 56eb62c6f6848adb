import { describe, expect, test } from 'bun:test';
import { maskedRowSummer } from './masked-row-sum.ts';
import { Random } from '../random.ts';

describe('maskedRowSummer', () => {
  test('bitwise the JavaScript loop: per output, the masked rows added in increasing order (odd and even widths, partial blocks)', () => {
    const rng = new Random(9);
    for (const [rows, cols, block] of [[40, 129, 16], [33, 2, 4], [7, 1, 3], [100, 25, 16], [64, 130, 8]] as const) {
      const m = Float64Array.from({ length: rows * cols }, () => rng.normal() * 10 ** (rng.int(9) - 4));
      const summer = maskedRowSummer(m, rows, cols, rows, block);
      for (let trial = 0; trial < 6; trial++) {
        const first = rng.int(rows);
        const n = 1 + rng.int(rows - first);
        const R = 1 + rng.int(block);
        summer.mask.fill(0);
        for (let r = 0; r < R; r++) for (let j = 0; j < n; j++) summer.mask[r * n + j] = rng.uniform() < 0.3 ? 1 : 0;
        const want = new Float64Array(R * cols);
        for (let r = 0; r < R; r++) {
          for (let j = 0; j < n; j++) {
            if (!summer.mask[r * n + j]) continue;
            for (let q = 0; q < cols; q++) want[r * cols + q]! += m[(first + j) * cols + q]!;
          }
        }
        const got = summer.sum(first, n, R).slice(0, R * cols);
        expect(Array.from(got)).toEqual(Array.from(want));
      }
    }
  });

  test('an all-zero mask gives zeros, and acc is cleared between calls', () => {
    const summer = maskedRowSummer(Float64Array.from([1, 2, 3, 4]), 2, 2, 2, 2);
    summer.mask.set([1, 1, 1, 1]);
    expect(Array.from(summer.sum(0, 2, 2).slice(0, 4))).toEqual([4, 6, 4, 6]);
    summer.mask.fill(0);
    expect(Array.from(summer.sum(0, 2, 2).slice(0, 4))).toEqual([0, 0, 0, 0]);
  });
});
