/**
 * Masked sums of a float64 matrix's rows for a block of R outputs, by a WebAssembly SIMD (f64x2)
 * kernel assembled at start-up:
 *
 *   acc[r][q] = Σ_{j < n, mask[r][j] = 1} M[first + j][q]      (j increasing), r < R
 *
 * ASH re-applies the fused head to binarised features this way (the kept columns of W summed per
 * sample). In a scalar JavaScript loop, one sample at a time, that was a quarter to a third of the
 * scorer at Kinetics width (D 4352, C 129: Wᵀ is 4.5 MB, read again for every sample). Here the
 * additions are two-wide and the j loop is outermost, so each row of M is read once per block of R
 * samples.
 *
 * Arithmetic: for every (r, q) the same float64 additions in the same order as the JavaScript
 * loop `for (j increasing) if (mask[r][j]) acc[r][q] += M[first + j][q]` (f64x2.add and f64.add
 * are IEEE double additions), so the sums are bitwise equal (tested).
 *
 * Exported: sum(m, mask, R, n, cols, acc), byte addresses into the imported memory `env.mem`; m
 * points at row `first`, mask is R × n bytes, acc R × cols doubles (added to, not zeroed).
 */
import { emitter, I32, lazyModule, processKernel, wasmModule } from './wasm-encoding.ts';

const OP = {
  block: 0x02, loop: 0x03, if: 0x04, end: 0x0b, brIf: 0x0d,
  i32Load8U: 0x2d, f64Load: 0x2b, f64Store: 0x39,
  i32Eqz: 0x45, i32LtU: 0x49, i32Add: 0x6a, i32Sub: 0x6b, i32Mul: 0x6c, i32And: 0x71, i32ShrU: 0x76,
  f64Add: 0xa0,
} as const;
const SIMD = { load: 0x00, store: 0x0b, f64x2Add: 0xf0 } as const;

export function maskedRowSumModuleBytes(): Uint8Array {
  const P = { m: 0, mask: 1, R: 2, n: 3, cols: 4, acc: 5 };
  const L = { j: 6, r: 7, row: 8, a: 9, q: 10, rowBytes: 11 };
  const { c, get, set, tee, i32, simd } = emitter();
  get(P.cols); i32(8); c.push(OP.i32Mul); set(L.rowBytes);
  c.push(OP.block, 0x40);
  get(P.n); c.push(OP.i32Eqz, OP.brIf, 0);
  get(P.R); c.push(OP.i32Eqz, OP.brIf, 0);
  i32(0); set(L.j);
  c.push(OP.loop, 0x40); // j: rows of M
  i32(0); set(L.r);
  c.push(OP.loop, 0x40); // r: outputs of the block
  // if mask[r·n + j]
  get(P.mask); get(L.r); get(P.n); c.push(OP.i32Mul); c.push(OP.i32Add); get(L.j); c.push(OP.i32Add); c.push(OP.i32Load8U, 0, 0);
  c.push(OP.if, 0x40);
  get(P.m); get(L.j); get(L.rowBytes); c.push(OP.i32Mul); c.push(OP.i32Add); set(L.row);
  get(P.acc); get(L.r); get(L.rowBytes); c.push(OP.i32Mul); c.push(OP.i32Add); set(L.a);
  get(P.cols); i32(1); c.push(OP.i32ShrU); set(L.q);
  c.push(OP.block, 0x40);
  get(L.q); c.push(OP.i32Eqz, OP.brIf, 0);
  c.push(OP.loop, 0x40); // pairs of columns
  get(L.a); get(L.a); simd(SIMD.load); c.push(0, 0); get(L.row); simd(SIMD.load); c.push(0, 0); simd(SIMD.f64x2Add); simd(SIMD.store); c.push(0, 0);
  get(L.a); i32(16); c.push(OP.i32Add); set(L.a);
  get(L.row); i32(16); c.push(OP.i32Add); set(L.row);
  get(L.q); i32(1); c.push(OP.i32Sub); tee(L.q); c.push(OP.brIf, 0);
  c.push(OP.end, OP.end);
  // an odd last column
  get(P.cols); i32(1); c.push(OP.i32And); c.push(OP.if, 0x40);
  get(L.a); get(L.a); c.push(OP.f64Load, 3, 0); get(L.row); c.push(OP.f64Load, 3, 0); c.push(OP.f64Add); c.push(OP.f64Store, 3, 0);
  c.push(OP.end);
  c.push(OP.end); // if mask
  get(L.r); i32(1); c.push(OP.i32Add); tee(L.r); get(P.R); c.push(OP.i32LtU); c.push(OP.brIf, 0);
  c.push(OP.end); // r
  get(L.j); i32(1); c.push(OP.i32Add); tee(L.j); get(P.n); c.push(OP.i32LtU); c.push(OP.brIf, 0);
  c.push(OP.end); // j
  c.push(OP.end); // block
  c.push(OP.end); // function
  return wasmModule([{ name: 'sum', params: [I32, I32, I32, I32, I32, I32], locals: [[6, I32]], code: c }]);
}

type SumFn = (m: number, mask: number, R: number, n: number, cols: number, acc: number) => void;
/**
 * One memory and instance for the process, grown as needed: making them per call cost more than
 * the sums themselves at the embedded benchmarks' sizes. A summer is valid until the next call.
 */
const kernel = processKernel<SumFn>(lazyModule(maskedRowSumModuleBytes), 'sum');

/** Masked row sums over one matrix for blocks of up to `block` outputs; see the module comment. */
export interface MaskedRowSummer {
  /** block × n bytes (n ≤ maxN): row r's mask at [r·n, r·n + n); the caller fills and clears it */
  readonly mask: Uint8Array;
  /** acc (R × cols, zeroed first) for rows first .. first + n - 1 of M and the first R masks */
  sum(first: number, n: number, R: number): Float64Array;
}

/**
 * A summer over m (rows × cols float64, copied once into a WebAssembly memory), or a JavaScript
 * one with the same additions where WebAssembly SIMD is missing. The memory is shared by every
 * summer of the process: a summer is valid until the next maskedRowSummer call.
 */
export function maskedRowSummer(m: Float64Array, rows: number, cols: number, maxN: number, block: number): MaskedRowSummer {
  const accOff = rows * cols * 8;
  const maskOff = accOff + block * cols * 8;
  const k = kernel(maskOff + block * maxN);
  if (!k) {
    const mask = new Uint8Array(block * maxN);
    const acc = new Float64Array(block * cols);
    return {
      mask,
      sum(first, n, R) {
        acc.fill(0, 0, R * cols);
        for (let j = 0; j < n; j++) {
          const base = (first + j) * cols;
          for (let r = 0; r < R; r++) if (mask[r * n + j]) for (let q = 0; q < cols; q++) acc[r * cols + q]! += m[base + q]!;
        }
        return acc;
      },
    };
  }
  const { memory, fn } = k;
  new Float64Array(memory.buffer, 0, rows * cols).set(m.subarray(0, rows * cols));
  const acc = new Float64Array(memory.buffer, accOff, block * cols);
  const mask = new Uint8Array(memory.buffer, maskOff, block * maxN);
  return {
    mask,
    sum(first, n, R) {
      acc.fill(0, 0, R * cols);
      fn(first * cols * 8, maskOff, R, n, cols, accOff);
      return acc;
    },
  };
}
