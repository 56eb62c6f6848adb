/**
 * The dense layers' float32 products on the TF.js WebAssembly backend's own memory, by a small
 * SIMD kernel assembled at start-up (like methods/compute's).
 *
 * Why: the backend hands every product to XNNPACK, which first packs the right-hand matrix and
 * caches the packing by tensor id. In training every right-hand operand is new at every step (the
 * weights after Adam, dy, the transposes of the backward pass), so each product packs afresh, and
 * at batch 16 packing costs more than multiplying (a 16 × 2304 · 2304 × 25 product: 824 µs through
 * tf.matMul, 85 µs here). The backward pass's transposed operands cost 35-930 µs more as explicit
 * transposes (a 2048-wide one walks an 8 KiB stride through one cache set). Here the left operand
 * is read through row and depth strides (xᵀ costs nothing) and Wᵀ is copied 8 rows at a time.
 *
 * Exported (byte addresses and strides into the imported memory `env.mem`):
 *   mm(a, b, c, mTiles, nTiles, K, aRowStride, aKStride, bKStride, cRowStride)
 * computes, for 4-row tile it < mTiles and 8-column tile jt < nTiles,
 *   C[4it + r][8jt + j] = Σ_{k<K} A[4it + r, k] · B[k][8jt + j]
 * with A[i, k] at a + i·aRowStride + k·aKStride, B row-major at b with row stride bKStride and C
 * row-major at c with row stride cRowStride;
 *   tr(src, dst, rowBlocks, N, K)   (see transposeCode).
 *
 * Arithmetic: per output entry a float32 running sum from 0 in increasing k, acc ← acc + a·b with
 * each operation rounded to float32 (f32x4.mul then f32x4.add, no fused multiply-add; Math.fround
 * in JavaScript for products narrower than one tile). That is the order of XNNPACK's WebAssembly
 * kernels in @tensorflow/tfjs-backend-wasm 4.22: the products are bitwise those of tf.matMul (x·W,
 * dy·transpose(W), transpose(x)·dy), tested on 75 shapes in heap-matmul.test.ts, so training
 * gives the same numbers as before, to the bit.
 */
import * as tf from '@tensorflow/tfjs-core';
import { emitter, I32, lazyModule, V128, wasmModule } from '../compute/wasm-encoding.ts';
import { wasmHeap, type WasmHeap } from './wasm-heap.ts';

const TM = 4; // rows per tile
const TN = 8; // columns per tile (two f32x4)

const OP = {
  block: 0x02, loop: 0x03, end: 0x0b, brIf: 0x0d,
  i32Eqz: 0x45, i32LtU: 0x49, i32Add: 0x6a, i32Sub: 0x6b, i32Mul: 0x6c,
} as const;
const SIMD = { load: 0x00, load32Splat: 0x09, store: 0x0b, const: 0x0c, f32x4Add: 0xe4, f32x4Mul: 0xe6 } as const;

export function matmulModuleBytes(): Uint8Array {
  const P = { a: 0, b: 1, c: 2, mTiles: 3, nTiles: 4, K: 5, aRow: 6, aK: 7, bK: 8, cRow: 9 };
  const L = { it: 10, jt: 11, k: 12, a0: 13, a1: 14, a2: 15, a3: 16, bp: 17, cp: 18 };
  const i32Locals = 9;
  const V = 19; // v128 locals: acc[r][v] (8), b0, b1, splat
  const acc = (r: number, v: number) => V + r * 2 + v;
  const bReg = (v: number) => V + 8 + v;
  const sReg = V + 10;
  const v128Locals = 11;
  const { c, get, set, tee, i32, simd, memarg } = emitter();
  const mem = (offset: number) => memarg(0, offset); // align hint 1: any address

  i32(0); set(L.it);
  c.push(OP.loop, 0x40); // row tiles
  i32(0); set(L.jt);
  c.push(OP.loop, 0x40); // column tiles
  // a_r = a + (4 it + r) aRow; bp = b + jt · 32; acc = 0
  for (let r = 0; r < TM; r++) {
    get(P.a); get(L.it); i32(TM); c.push(OP.i32Mul); if (r) { i32(r); c.push(OP.i32Add); } get(P.aRow); c.push(OP.i32Mul); c.push(OP.i32Add); set(L.a0 + r);
  }
  get(P.b); get(L.jt); i32(TN * 4); c.push(OP.i32Mul); c.push(OP.i32Add); set(L.bp);
  for (let r = 0; r < TM; r++) for (let v = 0; v < 2; v++) { simd(SIMD.const); c.push(...new Array<number>(16).fill(0)); set(acc(r, v)); }
  get(P.K); set(L.k);
  c.push(OP.loop, 0x40); // k
  for (let v = 0; v < 2; v++) { get(L.bp); simd(SIMD.load); mem(v * 16); set(bReg(v)); }
  for (let r = 0; r < TM; r++) {
    get(L.a0 + r); simd(SIMD.load32Splat); mem(0); set(sReg);
    for (let v = 0; v < 2; v++) { get(acc(r, v)); get(sReg); get(bReg(v)); simd(SIMD.f32x4Mul); simd(SIMD.f32x4Add); set(acc(r, v)); }
    get(L.a0 + r); get(P.aK); c.push(OP.i32Add); set(L.a0 + r);
  }
  get(L.bp); get(P.bK); c.push(OP.i32Add); set(L.bp);
  get(L.k); i32(1); c.push(OP.i32Sub); tee(L.k); c.push(OP.brIf, 0);
  c.push(OP.end); // k
  // cp = c + 4 it cRow + jt · 32
  get(P.c); get(L.it); i32(TM); c.push(OP.i32Mul); get(P.cRow); c.push(OP.i32Mul); c.push(OP.i32Add);
  get(L.jt); i32(TN * 4); c.push(OP.i32Mul); c.push(OP.i32Add); set(L.cp);
  for (let r = 0; r < TM; r++) {
    for (let v = 0; v < 2; v++) { get(L.cp); get(acc(r, v)); simd(SIMD.store); mem(v * 16); }
    if (r < TM - 1) { get(L.cp); get(P.cRow); c.push(OP.i32Add); set(L.cp); }
  }
  get(L.jt); i32(1); c.push(OP.i32Add); tee(L.jt); get(P.nTiles); c.push(OP.i32LtU); c.push(OP.brIf, 0);
  c.push(OP.end); // column tiles
  get(L.it); i32(1); c.push(OP.i32Add); tee(L.it); get(P.mTiles); c.push(OP.i32LtU); c.push(OP.brIf, 0);
  c.push(OP.end); // row tiles
  c.push(OP.end); // function

  return wasmModule([
    { name: 'mm', params: new Array<number>(10).fill(I32), locals: [[i32Locals, I32], [v128Locals, V128]], code: c },
    { name: 'tr', params: new Array<number>(5).fill(I32), locals: [[6, I32]], code: transposeCode() },
  ]);
}

/**
 * tr(src, dst, rowBlocks, N, K): dst (N × K) = transpose of the first 8·rowBlocks rows of src
 * (K × N, row-major), 8 source rows at a time, so that each write is 8 consecutive floats (a
 * column-at-a-time transpose of a 2048-wide matrix would walk an 8 KiB stride through one cache
 * set). Copies, no arithmetic. The last K mod 8 rows are the caller's.
 */
function transposeCode(): number[] {
  const P = { src: 0, dst: 1, blocks: 2, N: 3, K: 4 };
  const L = { ib: 5, j: 6, sp: 7, dp: 8, K4: 9, N4: 10 };
  const { c, get, set, tee, i32, memarg } = emitter();
  get(P.N); i32(4); c.push(OP.i32Mul); set(L.N4); // src row stride in bytes
  get(P.K); i32(4); c.push(OP.i32Mul); set(L.K4); // dst row stride in bytes
  c.push(OP.block, 0x40);
  get(P.blocks); c.push(OP.i32Eqz, OP.brIf, 0);
  get(P.N); c.push(OP.i32Eqz, OP.brIf, 0);
  i32(0); set(L.ib);
  c.push(OP.loop, 0x40); // row blocks
  // sp = src + ib·8·N4; dp = dst + ib·32
  get(P.src); get(L.ib); i32(8); c.push(OP.i32Mul); get(L.N4); c.push(OP.i32Mul); c.push(OP.i32Add); set(L.sp);
  get(P.dst); get(L.ib); i32(32); c.push(OP.i32Mul); c.push(OP.i32Add); set(L.dp);
  get(P.N); set(L.j);
  c.push(OP.loop, 0x40); // columns of src = rows of dst
  for (let r = 0; r < 8; r++) {
    get(L.dp);
    get(L.sp); if (r) { get(L.N4); i32(r); c.push(OP.i32Mul); c.push(OP.i32Add); }
    c.push(0x2a, 2, 0); // f32.load
    c.push(0x38); memarg(2, r * 4); // f32.store at dp + 4r
  }
  get(L.sp); i32(4); c.push(OP.i32Add); set(L.sp);
  get(L.dp); get(L.K4); c.push(OP.i32Add); set(L.dp);
  get(L.j); i32(1); c.push(OP.i32Sub); tee(L.j); c.push(OP.brIf, 0);
  c.push(OP.end); // columns
  get(L.ib); i32(1); c.push(OP.i32Add); tee(L.ib); get(P.blocks); c.push(OP.i32LtU); c.push(OP.brIf, 0);
  c.push(OP.end); // row blocks
  c.push(OP.end); // block
  c.push(OP.end); // function
  return c;
}

type MmFn = (a: number, b: number, c: number, mTiles: number, nTiles: number, K: number, aRow: number, aK: number, bK: number, cRow: number) => void;
type TrFn = (src: number, dst: number, rowBlocks: number, N: number, K: number) => void;
interface Kernels { readonly mm: MmFn; readonly tr: TrFn }

const kernels = new WeakMap<WebAssembly.Memory, Kernels | null>();
const matmulModule = lazyModule(matmulModuleBytes);

/** The module (compiled once) instantiated on `memory` (once per memory), or undefined without WebAssembly SIMD. */
function kernelFor(memory: WebAssembly.Memory): Kernels | undefined {
  let k = kernels.get(memory);
  if (k === undefined) {
    const compiled = matmulModule(); // undefined: no WebAssembly SIMD here
    k = compiled ? (new WebAssembly.Instance(compiled, { env: { mem: memory } }).exports as unknown as Kernels) : null;
    kernels.set(memory, k);
  }
  return k ?? undefined;
}

/** An M × K left operand in the heap: A[i, k] at byte offset + i·rowStride + k·kStride. */
interface Left { readonly offset: number; readonly rowStride: number; readonly kStride: number }

/**
 * C (M × N, row-major at byte cOffset) = A · B in `memory`, B a row-major K × N float32 matrix at
 * bOffset. When M or N is not a multiple of the tile, one more row or column of tiles is computed
 * flush with the last row or column: it overlaps tiles already written and writes the same values
 * there (an entry's value does not depend on its tile). Only products narrower than one tile
 * (M < 4 or N < 8) are computed in JavaScript, with the same operations.
 */
function productAt(memory: WebAssembly.Memory, mm: MmFn, M: number, N: number, K: number, A: Left, bOffset: number, cOffset: number): void {
  if (M >= TM && N >= TN && K > 0) {
    const tiles = (row: number, col: number, mTiles: number, nTiles: number) =>
      mm(A.offset + row * A.rowStride, bOffset + col * 4, cOffset + (row * N + col) * 4, mTiles, nTiles, K, A.rowStride, A.kStride, N * 4, N * 4);
    const mTiles = Math.floor(M / TM);
    const nTiles = Math.floor(N / TN);
    tiles(0, 0, mTiles, nTiles);
    if (N % TN) tiles(0, N - TN, mTiles, 1);
    if (M % TM) {
      tiles(M - TM, 0, 1, nTiles);
      if (N % TN) tiles(M - TM, N - TN, 1, 1);
    }
  } else {
    const f32 = new Float32Array(memory.buffer);
    const f = Math.fround;
    const a = A.offset >>> 2, aRow = A.rowStride >>> 2, aK = A.kStride >>> 2, b = bOffset >>> 2, c = cOffset >>> 2;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let acc = 0;
        for (let k = 0; k < K; k++) acc = f(acc + f(f32[a + i * aRow + k * aK]! * f32[b + k * N + j]!));
        f32[c + i * N + j] = acc;
      }
    }
  }
}

/** productAt into a new tensor of the backend. */
function product(heap: WasmHeap, mm: MmFn, M: number, N: number, K: number, A: Left, bOffset: number): tf.Tensor2D {
  const out = heap.backend.makeOutput([M, N], 'float32');
  productAt(heap.memory, mm, M, N, K, A, bOffset, heap.offsetOf(out));
  return tf.engine().makeTensorFromTensorInfo(out) as tf.Tensor2D;
}

/** tr for all K rows of the K × N matrix at src into dst (N × K): the last K mod 8 rows in JavaScript. */
function transposeAt(memory: WebAssembly.Memory, tr: TrFn, src: number, dst: number, K: number, N: number): void {
  const blocks = Math.floor(K / 8);
  tr(src, dst, blocks, N, K);
  const f32 = new Float32Array(memory.buffer);
  for (let i = blocks * 8; i < K; i++) for (let j = 0; j < N; j++) f32[(dst >>> 2) + j * K + i] = f32[(src >>> 2) + i * N + j]!;
}

/** The three products of a dense layer (dense.ts); see heapProducts. */
export interface HeapProducts {
  /** x · W (x: M × K, W: K × N) */
  nn(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D;
  /** dy · Wᵀ (dy: M × N, W: K × N): W is transposed into a scratch buffer first */
  nt(dy: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D;
  /** xᵀ · dy (x: M × K, dy: M × N): read through strides, no transpose */
  tn(x: tf.Tensor2D, dy: tf.Tensor2D): tf.Tensor2D;
}

/** The products for the current backend, or undefined when it is not wasm (or has no SIMD): then dense.ts uses tf.matMul. */
export function heapProducts(): HeapProducts | undefined {
  const heap = wasmHeap();
  const kernels = heap && kernelFor(heap.memory);
  if (!heap || !kernels) return undefined;
  const { mm, tr } = kernels;
  return {
    nn(x, w) {
      const [M, K] = x.shape;
      const N = w.shape[1];
      return product(heap, mm, M, N, K, { offset: heap.offsetOf(x), rowStride: K * 4, kStride: 4 }, heap.offsetOf(w));
    },
    tn(x, dy) {
      const [M, K] = x.shape; // the result is K × N: rows of xᵀ are x's columns
      const N = dy.shape[1];
      return product(heap, mm, K, N, M, { offset: heap.offsetOf(x), rowStride: 4, kStride: K * 4 }, heap.offsetOf(dy));
    },
    nt(dy, w) {
      const [K, N] = w.shape; // dy · Wᵀ: M × K, depth N
      const M = dy.shape[0];
      const wt = heap.backend.makeOutput([N, K], 'float32');
      try {
        transposeAt(heap.memory, tr, heap.offsetOf(w), heap.offsetOf(wt), K, N);
        return product(heap, mm, M, K, N, { offset: heap.offsetOf(dy), rowStride: N * 4, kStride: 4 }, heap.offsetOf(wt));
      } finally {
        heap.backend.disposeData(wt.dataId);
      }
    },
  };
}

/**
 * The same three products on plain Float32Arrays (the direct training step, direct/step.ts): the
 * operands are copied into a WebAssembly memory of its own, multiplied by the same kernel, and the
 * result copied out, so every value is bitwise what tf.matMul gives on the wasm backend. Copies
 * are cheap at the step's sizes (a 16 × 160 operand is 10 KiB). Undefined without SIMD.
 */
export class ArrayProducts {
  private f32: Float32Array;

  private constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly k: Kernels,
  ) {
    this.f32 = new Float32Array(memory.buffer);
  }

  static create(): ArrayProducts | undefined {
    const memory = new WebAssembly.Memory({ initial: 16 });
    const k = kernelFor(memory);
    return k ? new ArrayProducts(memory, k) : undefined;
  }

  /** Room for `floats` float32 values from offset 0; returns the view (valid until the next call). */
  private room(floats: number): Float32Array {
    const bytes = floats * 4;
    if (bytes > this.memory.buffer.byteLength) this.memory.grow(Math.ceil((bytes - this.memory.buffer.byteLength) / 65536));
    if (this.f32.buffer !== this.memory.buffer) this.f32 = new Float32Array(this.memory.buffer);
    return this.f32;
  }

  /** x · W: x M × K, W K × N. */
  nn(x: Float32Array, w: Float32Array, M: number, K: number, N: number): Float32Array {
    const f32 = this.room(M * K + K * N + M * N);
    f32.set(x.subarray(0, M * K), 0);
    f32.set(w.subarray(0, K * N), M * K);
    const c = M * K + K * N;
    productAt(this.memory, this.k.mm, M, N, K, { offset: 0, rowStride: K * 4, kStride: 4 }, M * K * 4, c * 4);
    return this.f32.slice(c, c + M * N);
  }

  /** xᵀ · dy: x M × K, dy M × N; the result is K × N. */
  tn(x: Float32Array, dy: Float32Array, M: number, K: number, N: number): Float32Array {
    const f32 = this.room(M * K + M * N + K * N);
    f32.set(x.subarray(0, M * K), 0);
    f32.set(dy.subarray(0, M * N), M * K);
    const c = M * K + M * N;
    productAt(this.memory, this.k.mm, K, N, M, { offset: 0, rowStride: 4, kStride: K * 4 }, M * K * 4, c * 4);
    return this.f32.slice(c, c + K * N);
  }

  /** dy · Wᵀ: dy M × N, W K × N; the result is M × K (W transposed first, as heapProducts().nt). */
  nt(dy: Float32Array, w: Float32Array, M: number, N: number, K: number): Float32Array {
    const f32 = this.room(M * N + 2 * K * N + M * K);
    f32.set(dy.subarray(0, M * N), 0);
    f32.set(w.subarray(0, K * N), M * N);
    const wt = M * N + K * N;
    transposeAt(this.memory, this.k.tr, M * N * 4, wt * 4, K, N);
    const c = wt + K * N;
    productAt(this.memory, this.k.mm, M, K, N, { offset: 0, rowStride: N * 4, kStride: 4 }, wt * 4, c * 4);
    return this.f32.slice(c, c + M * K);
  }
}
