import { describe, expect, test } from 'bun:test';
import { rowLogSumExp, rowMax, rowMaxAndLogSumExp } from './logits.ts';
import { Random } from './random.ts';

/** The general-temperature definition, written out (the shift divided by T like every logit). */
function referenceLogSumExp(data: Float32Array | Float64Array, rows: number, cols: number, temperature: number): Float64Array {
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let max = -Infinity;
    for (let j = 0; j < cols; j++) max = Math.max(max, data[i * cols + j]! / temperature);
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += Math.exp(data[i * cols + j]! / temperature - max);
    out[i] = max + Math.log(sum);
  }
  return out;
}

const bits = (x: Float64Array) => Array.from(new BigUint64Array(x.buffer, x.byteOffset, x.length));

describe('row log-sum-exp and maximum', () => {
  const rng = new Random(21);
  const cases = [[1, 1], [7, 2], [50, 129], [33, 25]] as const;
  for (const [rows, cols] of cases) {
    test(`${rows} x ${cols}: the one-pass temperature-1 path is bitwise the definition (signed zeros, large logits)`, () => {
      const data = Float32Array.from({ length: rows * cols }, (_, k) => (k % 11 === 0 ? (rng.uniform() < 0.5 ? -0 : 0) : rng.normal() * 10 ** rng.int(3)));
      const m = { rows, cols, data };
      const fused = rowMaxAndLogSumExp(m);
      expect(bits(fused.logSumExp)).toEqual(bits(referenceLogSumExp(data, rows, cols, 1)));
      expect(bits(rowLogSumExp(m))).toEqual(bits(referenceLogSumExp(data, rows, cols, 1)));
      expect(bits(fused.max)).toEqual(bits(rowMax(m)));
      expect(bits(rowLogSumExp(m, 0.5))).toEqual(bits(referenceLogSumExp(data, rows, cols, 0.5)));
    });
  }
  test('an all-zero row with a -0: the maximum is +0 as Math.max gives it', () => {
    const m = { rows: 1, cols: 2, data: Float32Array.from([-0, 0]) };
    expect(Object.is(rowMax(m)[0], 0)).toBe(true);
    expect(Object.is(rowMaxAndLogSumExp(m).max[0], 0)).toBe(true);
  });
});
