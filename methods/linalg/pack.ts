import type { Strided } from './gemm.ts';

/**
 * Inner-dimension block of every float64 product (TypeScript and wasm kernels alike): a 4 x 256
 * micro-panel is 8 KiB, well inside L1. Both kernels sum each output entry per block of this depth
 * and then add alpha * (block sum), so they must share it to give bitwise identical results.
 */
export const GEMM_KC = 256;

/**
 * Packs rows [r0, r0 + count) x inner [p0, p0 + kc) of a strided operand into 4-row panels at
 * dst[dOff..]: panel q holds dst[dOff + q * 4 * kc + p * 4 + r] = X(r0 + 4q + r, p0 + p) - center,
 * zero-padded to whole panels.
 */
export function packPanels(
  x: Strided,
  r0: number,
  count: number,
  p0: number,
  kc: number,
  center: Float64Array | undefined,
  dst: Float64Array,
  dOff: number,
): void {
  const { data, offset, rowStride, colStride } = x;
  const panels = Math.ceil(count / 4);
  if (rowStride === 1 && colStride !== 1) {
    packTransposed(x, r0, count, p0, kc, center, dst, dOff);
    return;
  }
  // Whole panels: the four rows are read side by side and the panel written in order (half the
  // time of filling it one row at a time, a store every fourth double).
  const full = Math.floor(count / 4);
  for (let q = 0; q < full; q++) {
    const i = r0 + q * 4;
    let s0 = offset + i * rowStride + p0 * colStride;
    let s1 = s0 + rowStride;
    let s2 = s1 + rowStride;
    let s3 = s2 + rowStride;
    let d = dOff + q * 4 * kc;
    const end = d + 4 * kc;
    if (center === undefined) {
      for (; d < end; d += 4, s0 += colStride, s1 += colStride, s2 += colStride, s3 += colStride) {
        dst[d] = data[s0]!;
        dst[d + 1] = data[s1]!;
        dst[d + 2] = data[s2]!;
        dst[d + 3] = data[s3]!;
      }
    } else {
      const c0 = center[i]!;
      const c1 = center[i + 1]!;
      const c2 = center[i + 2]!;
      const c3 = center[i + 3]!;
      for (; d < end; d += 4, s0 += colStride, s1 += colStride, s2 += colStride, s3 += colStride) {
        dst[d] = data[s0]! - c0;
        dst[d + 1] = data[s1]! - c1;
        dst[d + 2] = data[s2]! - c2;
        dst[d + 3] = data[s3]! - c3;
      }
    }
  }
  for (let q = full; q < panels; q++) {
    const base = dOff + q * 4 * kc;
    const rows = Math.min(4, count - q * 4);
    for (let r = 0; r < 4; r++) {
      const i = r0 + q * 4 + r;
      if (r >= rows) {
        for (let p = 0; p < kc; p++) dst[base + p * 4 + r] = 0;
        continue;
      }
      const shift = center === undefined ? 0 : center[i]!;
      let src = offset + i * rowStride + p0 * colStride;
      if (shift === 0) {
        for (let p = 0; p < kc; p++, src += colStride) dst[base + p * 4 + r] = data[src]!;
      } else {
        for (let p = 0; p < kc; p++, src += colStride) dst[base + p * 4 + r] = data[src]! - shift;
      }
    }
  }
}

/**
 * The same packing for an operand whose rows are contiguous in memory along i (rowStride 1, e.g.
 * the transposed view behind a Gram matrix): walks each source row p once, left to right, instead
 * of striding down columns (the same values, in a cache-friendly order).
 */
function packTransposed(
  x: Strided,
  r0: number,
  count: number,
  p0: number,
  kc: number,
  center: Float64Array | undefined,
  dst: Float64Array,
  dOff: number,
): void {
  const { data, offset, colStride } = x;
  const panels = Math.ceil(count / 4);
  const full = Math.floor(count / 4);
  const stride = 4 * kc;
  for (let p = 0; p < kc; p++) {
    const src = offset + (p0 + p) * colStride + r0;
    let d = dOff + p * 4;
    if (center === undefined) {
      for (let q = 0; q < full; q++, d += stride) {
        const s = src + q * 4;
        dst[d] = data[s]!;
        dst[d + 1] = data[s + 1]!;
        dst[d + 2] = data[s + 2]!;
        dst[d + 3] = data[s + 3]!;
      }
    } else {
      for (let q = 0; q < full; q++, d += stride) {
        const s = src + q * 4;
        const c = r0 + q * 4;
        dst[d] = data[s]! - center[c]!;
        dst[d + 1] = data[s + 1]! - center[c + 1]!;
        dst[d + 2] = data[s + 2]! - center[c + 2]!;
        dst[d + 3] = data[s + 3]! - center[c + 3]!;
      }
    }
    if (full < panels) {
      const rows = count - full * 4;
      for (let r = 0; r < 4; r++) {
        if (r >= rows) {
          dst[d + r] = 0;
        } else {
          const i = r0 + full * 4 + r;
          const shift = center === undefined ? 0 : center[i]!;
          dst[d + r] = shift === 0 ? data[src + full * 4 + r]! : data[src + full * 4 + r]! - shift;
        }
      }
    }
  }
}
