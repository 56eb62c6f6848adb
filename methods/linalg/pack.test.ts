import { describe, expect, test } from 'bun:test';
import { packPanels } from './pack.ts';

/** The packing's definition, entry by entry (pack.ts's doc comment). */
function packedByDefinition(data: Float64Array, offset: number, rowStride: number, colStride: number, r0: number, count: number, p0: number, kc: number, center: Float64Array | undefined): Float64Array {
  const panels = Math.ceil(count / 4);
  const out = new Float64Array(panels * 4 * kc);
  for (let q = 0; q < panels; q++) {
    for (let p = 0; p < kc; p++) {
      for (let r = 0; r < 4; r++) {
        const i = r0 + 4 * q + r;
        out[q * 4 * kc + p * 4 + r] = 4 * q + r < count ? data[offset + i * rowStride + (p0 + p) * colStride]! - (center ? center[i]! : 0) : 0;
      }
    }
  }
  return out;
}

describe('packPanels', () => {
  test('equals its definition: row-major, column-major and strided views, partial last panel, with and without centring', () => {
    let seed = 7;
    const next = () => ((seed = (seed * 48271) % 2147483647) / 2147483647) - 0.5;
    const rows = 23;
    const cols = 19;
    const data = Float64Array.from({ length: 2 * rows * cols + 5 }, next);
    const center = Float64Array.from({ length: rows }, next);
    const views = [
      { offset: 3, rowStride: cols, colStride: 1 }, // row-major
      { offset: 1, rowStride: 1, colStride: rows }, // transposed (packTransposed)
      { offset: 0, rowStride: 2 * cols, colStride: 2 }, // every other row and column
    ];
    let checked = 0;
    for (const v of views) {
      for (const [r0, count] of [[0, 23], [1, 8], [4, 6], [2, 1]] as const) {
        for (const [p0, kc] of [[0, 19], [5, 7], [18, 1]] as const) {
          for (const c of [undefined, center]) {
            const dOff = 3;
            const dst = new Float64Array(dOff + Math.ceil(count / 4) * 4 * kc).fill(NaN);
            packPanels({ data, ...v }, r0, count, p0, kc, c, dst, dOff);
            expect(Array.from(dst.subarray(dOff))).toEqual(Array.from(packedByDefinition(data, v.offset, v.rowStride, v.colStride, r0, count, p0, kc, c)));
            expect(Number.isNaN(dst[dOff - 1])).toBe(true); // nothing written before dOff
            checked++;
          }
        }
      }
    }
    expect(checked).toBe(72);
  });
});
