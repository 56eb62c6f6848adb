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
  test('rowMax of float32 logits (the SIMD kernel, compute/row-max.ts) is Math.max over each row: NaN, infinities, signed zeros, every width mod 16', () => {
    for (const cols of [1, 3, 4, 15, 16, 17, 63, 64, 65, 129]) {
      const rows = 40;
      const data = Float32Array.from({ length: rows * cols }, () => rng.normal() * 10 ** rng.int(3));
      data[3 * cols + (cols - 1)] = NaN; // last entry of a row
      data[4 * cols] = NaN; // first entry
      for (let j = 0; j < cols; j++) data[5 * cols + j] = j % 2 ? 0 : -0;
      for (let j = 0; j < cols; j++) data[6 * cols + j] = -0;
      data[7 * cols + Math.floor(cols / 2)] = Infinity;
      for (let j = 0; j < cols; j++) data[8 * cols + j] = -Infinity;
      const want = new Float64Array(rows);
      for (let i = 0; i < rows; i++) {
        let max = -Infinity;
        for (let j = 0; j < cols; j++) max = Math.max(max, data[i * cols + j]!);
        want[i] = max;
      }
      expect(bits(rowMax({ rows, cols, data }))).toEqual(bits(want));
      expect(bits(rowMax({ rows, cols, data: Float64Array.from(data) }))).toEqual(bits(want)); // the JavaScript path
    }
  });
});
