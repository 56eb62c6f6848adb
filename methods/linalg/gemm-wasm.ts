import { dgemmAvailable, dgemmMemory, getDgemmThreads, releaseDgemmMemory, runDgemmJob } from '../compute/dgemm-pool.ts';
import { DMR, DNR, jobUnits, type TriangleCode } from '../compute/dgemm-kernel.ts';
import type { GemmOptions, Strided } from './gemm.ts';
import { GEMM_KC, packPanels } from './pack.ts';

/**
 * gemmInto on the WebAssembly SIMD float64 kernel (methods/compute/dgemm-kernel.ts), spread over
 * the compute threads. Same contract and the same floating-point operations per output entry as
 * the TypeScript kernel (see dgemm-kernel.ts), so the two paths agree bitwise; gemm.ts routes
 * products here when they are large enough to pay for copying the output block in and out.
 *
 * Layout: the output block C (rows padded to 4, columns padded to 4) stays in the wasm memory for
 * the whole product while the inner dimension streams through in GEMM_KC blocks. The calling
 * thread packs A's and B's panels of the first block; then, for each block, the workers start on
 * its (128-row x 64-column) work units while the calling thread packs the next block into a second
 * region, and then claims units too. When A and B are the same operand (a Gram matrix) only B is
 * packed and A's panels are read inside it; with a triangle, only the columns that the piece's
 * rows need are packed and copied.
 * Outputs larger than C_BUDGET bytes are done in row pieces.
 */

/**
 * Largest output block kept in the wasm memory at once: 32 MiB, i.e. row pieces of ~860 rows of a
 * 4864-wide product. A whole D x D block (180 MiB at D = 4864) would be a second copy of every
 * Gram matrix, eigensolver update and back-transformation, in a shared memory that the Workers
 * also reference and so outlives the product; in pieces, one memory of ~34 MiB serves every
 * product. The cost is re-packing the right operand once per piece (O(nk) against O(piece·nk)
 * multiply-adds), and the results are bitwise the same (gemm-wasm.test.ts).
 */
const C_BUDGET = 32 * 2 ** 20;
let cBudget = C_BUDGET;

/** Overrides the output-block budget in bytes (tests exercise the row-piece path); no argument restores it. */
export function setGemmPieceBudget(bytes?: number): void {
  cBudget = bytes ?? C_BUDGET;
}
/** A memory larger than this is given back after the product (a Gram's output block), smaller ones are reused. */
const KEEP_BYTES = 128 * 2 ** 20;
/** Products below this many multiply-adds per depth block run on the calling thread only. */
const PARALLEL_MIN = 4e6;

export type GemmPath = 'auto' | 'wasm' | 'js';
let path: GemmPath = 'auto';

/** Forces the float64 product path (tests and benchmarks); 'auto' uses wasm for large products. */
export function setGemmPath(p: GemmPath): void {
  path = p;
}

export function getGemmPath(): GemmPath {
  return path;
}

/** Whether gemm.ts should send a product of this shape to the wasm kernel. */
export function useWasmGemm(m: number, n: number, k: number): boolean {
  if (path === 'js') return false;
  if (path === 'wasm') return dgemmAvailable();
  // Copying C in and out and packing cost O(mn + (m + n)k); the kernel wins from ~32^3 on.
  return m >= 8 && n >= 8 && k >= 16 && m * n * k >= 32768 && dgemmAvailable();
}

function triangleCode(t: GemmOptions['triangle']): TriangleCode {
  return t === 'upper' ? 1 : t === 'lower' ? 2 : 0;
}

function sameOperand(a: Strided, b: Strided): boolean {
  return a.data === b.data && a.offset === b.offset && a.rowStride === b.rowStride && a.colStride === b.colStride;
}

export function wasmGemmInto(
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Strided,
  b: Strided,
  c: Float64Array,
  cOff: number,
  ldc: number,
  options: GemmOptions = {},
): void {
  if (m <= 0 || n <= 0 || k <= 0 || alpha === 0) return;
  const triangle = triangleCode(options.triangle);
  const nPad = Math.ceil(n / DNR) * DNR;
  const kcMax = Math.min(GEMM_KC, k);
  const pieceRows = Math.max(DMR, Math.min(Math.ceil(m / DMR) * DMR, Math.floor(cBudget / (nPad * 8) / DMR) * DMR));
  // With one operand and one centring (a Gram matrix), A's rows [i0, i0 + pm) are B's rows, so a
  // piece packs only B and reads A's panels from inside B's.
  const sameRows = sameOperand(a, b) && options.centerA === options.centerB && m === n;
  for (let i0 = 0; i0 < m; i0 += pieceRows) {
    const pm = Math.min(pieceRows, m - i0);
    const mPad = Math.ceil(pm / DMR) * DMR;
    // A triangle needs only the columns [c0, c1) of this piece's rows: from i0 on for 'upper', up to
    // the end of the piece's last row tile for 'lower' (a tile straddling the diagonal is written
    // whole). Both are multiples of DNR (pieceRows is a multiple of DMR = DNR) or n, so the tiles
    // are the same as over all columns and so are the results.
    const c0 = triangle === 1 ? i0 : 0;
    const c1 = triangle === 2 ? Math.min(n, i0 + mPad) : n;
    const pn = c1 - c0;
    const pnPad = Math.ceil(pn / DNR) * DNR;
    // Two packing regions: the calling thread packs depth block p + 1 into one while the workers
    // multiply block p from the other (runDgemmJob's `meanwhile`).
    const aBytes = sameRows ? 0 : mPad * kcMax * 8;
    const bBytes = pnPad * kcMax * 8;
    const regionBytes = aBytes + bBytes;
    const cOffBytes = 2 * regionBytes;
    const mem = dgemmMemory(cOffBytes + mPad * pnPad * 8);
    const f64 = mem.f64;
    const cBase = cOffBytes / 8;
    for (let i = 0; i < mPad; i++) {
      const dst = cBase + i * pnPad;
      if (i < pm) {
        const src = cOff + (i0 + i) * ldc + c0;
        f64.set(c.subarray(src, src + pn), dst);
        if (pnPad > pn) f64.fill(0, dst + pn, dst + pnPad);
      } else {
        f64.fill(0, dst, dst + pnPad);
      }
    }
    const parallel = getDgemmThreads() > 1 && pm * pn * kcMax >= PARALLEL_MIN;
    const pack = (pc: number, region: number) => {
      const kc = Math.min(GEMM_KC, k - pc);
      const aOff = region * regionBytes;
      const bOff = aOff + aBytes;
      if (!sameRows) packPanels(a, i0, pm, pc, kc, options.centerA, f64, aOff / 8);
      packPanels(b, c0, pn, pc, kc, options.centerB, f64, bOff / 8);
    };
    pack(0, 0);
    for (let pc = 0, region = 0; pc < k; pc += GEMM_KC, region = 1 - region) {
      const kc = Math.min(GEMM_KC, k - pc);
      const bOff = region * regionBytes + aBytes;
      // A's first row is B's row i0 - c0, i.e. panel (i0 - c0) / 4 of this block's packing.
      const aOff = sameRows ? bOff + (i0 - c0) * kc * 8 : region * regionBytes;
      // The triangle test compares row and column indices, both shifted by c0 here.
      const job = { m: pm, n: pn, rowBase: i0 - c0, kc, aOff, bOff, cOff: cOffBytes, ldcBytes: pnPad * 8, triangle, alpha };
      const next = pc + GEMM_KC;
      runDgemmJob(mem, job, jobUnits(job), parallel, next < k ? () => pack(next, 1 - region) : undefined);
    }
    for (let i = 0; i < pm; i++) {
      const src = cBase + i * pnPad;
      c.set(f64.subarray(src, src + pn), cOff + (i0 + i) * ldc + c0);
    }
    if (mem.bytes > KEEP_BYTES) releaseDgemmMemory();
  }
}
