/**
 * Forward substitution within one diagonal block of a lower-triangular solve, for many rows at
 * once, as a WebAssembly SIMD (f64x2) kernel assembled at start-up. methods/linalg/cholesky.ts
 * solves Y L^T = X block by block: a product brings every row up to the block, then each row is
 * substituted through the block's columns one after another,
 *
 *   y[j] = (y[j] - y[j0] L[j][j0] - y[j0 + 1] L[j][j0 + 1] - ... - y[j - 1] L[j][j - 1]) / L[j][j],
 *
 * subtractions in increasing order. In JavaScript that loop ran at ~1.2 G multiply-adds/s and took
 * 3.6 of the ~21 s that Mahalanobis spends whitening 14,902 query rows at D 4352. Rows are
 * independent, so here the two lanes of an f64x2 hold two rows and one call substitutes eight
 * rows (four vectors) per pass, sharing each broadcast L entry: every y[j] still sees exactly the
 * multiplications, subtractions and the division above, in the same order (lane-wise IEEE
 * operations, no fused multiply-add), so the results are bitwise those of the JavaScript loop
 * (cholesky.test.ts).
 *
 * Exported: subst8(t, l, w, groups), byte addresses into the imported memory `env.mem`:
 *   t: `groups` blocks of w x 8 doubles, block g holding T[g][jj][r] = y_{8g + r}[j0 + jj];
 *   l: the block's w x w lower triangle, row-major (L[j0 + jj][j0 + pp] at l + (jj w + pp) 8).
 * Each T[g][jj][·] is replaced by its substituted value, jj increasing.
 */
import { emitter, I32, lazyModule, processKernel, V128, wasmModule } from './wasm-encoding.ts';

const OP = { block: 0x02, loop: 0x03, end: 0x0b, br: 0x0c, brIf: 0x0d, i32GeU: 0x4f, i32Add: 0x6a, i32Mul: 0x6c, i32Shl: 0x74, f64Load: 0x2b } as const;
const SIMD = { load: 0, store: 11, f64x2Splat: 20, f64x2Sub: 241, f64x2Mul: 242, f64x2Div: 243 } as const;
/** Rows per group: four f64x2 accumulators. */
export const TRSM_ROWS = 8;

export function trsmModuleBytes(): Uint8Array {
  const P = { t: 0, l: 1, w: 2, groups: 3 };
  // i32 locals: the group's block, the end of all blocks, jj's row of T and of L, pp's row of T
  // and of L, L's row stride in bytes, the end of the group's block
  const L = { base: 4, baseEnd: 5, tj: 6, lj: 7, tp: 8, lp: 9, rowBytes: 10, tjEnd: 11 };
  const i32Locals = 8;
  const vBase = 12;
  const acc = (k: number) => vBase + k;
  const s = vBase + 4;
  const v128Locals = 5;
  const groupBytes = TRSM_ROWS * 8; // one jj row of a group
  const { c, get, set, i32, simd, memarg } = emitter();
  const add = () => c.push(OP.i32Add);

  get(P.w); i32(3); c.push(OP.i32Shl); set(L.rowBytes);
  get(P.t); set(L.base);
  // baseEnd = t + groups * w * 64
  get(P.t); get(P.groups); get(P.w); c.push(OP.i32Mul); i32(6); c.push(OP.i32Shl); add(); set(L.baseEnd);
  c.push(OP.block, 0x40);
  c.push(OP.loop, 0x40); // groups
  get(L.base); get(L.baseEnd); c.push(OP.i32GeU); c.push(OP.brIf, 1);
  get(L.base); set(L.tj);
  get(L.base); get(P.w); i32(6); c.push(OP.i32Shl); add(); set(L.tjEnd);
  get(P.l); set(L.lj);
  c.push(OP.block, 0x40);
  c.push(OP.loop, 0x40); // jj
  get(L.tj); get(L.tjEnd); c.push(OP.i32GeU); c.push(OP.brIf, 1);
  for (let k = 0; k < 4; k++) { get(L.tj); simd(SIMD.load); memarg(3, k * 16); set(acc(k)); }
  // pp from 0 while tp < tj: acc -= T[pp] * L[jj][pp]
  get(L.base); set(L.tp);
  get(L.lj); set(L.lp);
  c.push(OP.block, 0x40);
  c.push(OP.loop, 0x40); // pp
  get(L.tp); get(L.tj); c.push(OP.i32GeU); c.push(OP.brIf, 1);
  get(L.lp); c.push(OP.f64Load); memarg(3, 0); simd(SIMD.f64x2Splat); set(s);
  for (let k = 0; k < 4; k++) {
    get(acc(k)); get(L.tp); simd(SIMD.load); memarg(3, k * 16); get(s); simd(SIMD.f64x2Mul); simd(SIMD.f64x2Sub); set(acc(k));
  }
  get(L.tp); i32(groupBytes); add(); set(L.tp);
  get(L.lp); i32(8); add(); set(L.lp);
  c.push(OP.br, 0);
  c.push(OP.end); // pp loop
  c.push(OP.end); // pp block
  // lp now points at L[jj][jj]: T[jj] = acc / L[jj][jj]
  get(L.lp); c.push(OP.f64Load); memarg(3, 0); simd(SIMD.f64x2Splat); set(s);
  for (let k = 0; k < 4; k++) { get(L.tj); get(acc(k)); get(s); simd(SIMD.f64x2Div); simd(SIMD.store); memarg(3, k * 16); }
  get(L.tj); i32(groupBytes); add(); set(L.tj);
  get(L.lj); get(L.rowBytes); add(); set(L.lj);
  c.push(OP.br, 0);
  c.push(OP.end); // jj loop
  c.push(OP.end); // jj block
  get(L.tjEnd); set(L.base);
  c.push(OP.br, 0);
  c.push(OP.end); // groups loop
  c.push(OP.end); // groups block
  c.push(OP.end); // function
  return wasmModule([{ name: 'subst8', params: [I32, I32, I32, I32], locals: [[i32Locals, I32], [v128Locals, V128]], code: c }]);
}

type Subst8Fn = (t: number, l: number, w: number, groups: number) => void;

/** The process's instance (its memory grows to the largest block solved: ~2.2 MB per 2,048 rows at NB 128). */
const kernel = processKernel<Subst8Fn>(lazyModule(trsmModuleBytes), 'subst8');

/**
 * The diagonal block [j0, j1) of the forward substitution for rows 0 .. m - 1 of yd (row stride n),
 * with L's rows at stride n in ld (yd and ld may be the same array: the rows below a Cholesky
 * block). Returns false, doing nothing, where WebAssembly SIMD is missing.
 */
export function substituteBlockSimd(yd: Float64Array, ld: Float64Array, n: number, m: number, j0: number, j1: number): boolean {
  const w = j1 - j0;
  const groups = Math.ceil(m / TRSM_ROWS);
  const lBytes = w * w * 8;
  const tBytes = groups * w * TRSM_ROWS * 8;
  const k = kernel(lBytes + tBytes);
  if (!k) return false;
  const f64 = new Float64Array(k.memory.buffer);
  for (let jj = 0; jj < w; jj++) {
    const src = (j0 + jj) * n + j0;
    f64.set(ld.subarray(src, src + jj + 1), jj * w);
  }
  const tBase = lBytes / 8;
  for (let g = 0; g < groups; g++) {
    const block = tBase + g * w * TRSM_ROWS;
    for (let r = 0; r < TRSM_ROWS; r++) {
      const i = g * TRSM_ROWS + r;
      if (i >= m) {
        for (let jj = 0; jj < w; jj++) f64[block + jj * TRSM_ROWS + r] = 0;
        continue;
      }
      const row = i * n + j0;
      for (let jj = 0; jj < w; jj++) f64[block + jj * TRSM_ROWS + r] = yd[row + jj]!;
    }
  }
  k.fn(lBytes, 0, w, groups);
  for (let g = 0; g < groups; g++) {
    const block = tBase + g * w * TRSM_ROWS;
    const rows = Math.min(TRSM_ROWS, m - g * TRSM_ROWS);
    for (let r = 0; r < rows; r++) {
      const row = (g * TRSM_ROWS + r) * n + j0;
      for (let jj = 0; jj < w; jj++) yd[row + jj] = f64[block + jj * TRSM_ROWS + r]!;
    }
  }
  return true;
}
