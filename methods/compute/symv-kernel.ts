/**
 * The streaming part of a symmetric matrix-vector product y = A v (A held in the upper triangle
 * of a row-major n × n float64 matrix), as a WebAssembly SIMD (f64x2) kernel assembled at
 * start-up. The Householder tridiagonalisation (methods/linalg/eigh.ts) runs one such product per
 * column against the trailing matrix: half of its arithmetic, read straight from memory, and in a
 * scalar JavaScript loop the slowest part of an eigendecomposition at Kinetics width (16 of 22 s
 * at D 4352).
 *
 * Exported: rows4(a, n, c, v, y, acc), byte addresses into the imported memory `env.mem`. For the
 * four rows c .. c + 3 of A (a points at A[0][0]) and the columns r = c + 4, c + 5, ... taken in
 * pairs (r, r + 1) while r + 1 < n, it does, in this order per r:
 *
 *   y[r]   += ((A[c][r] v[c] + A[c+1][r] v[c+1]) + A[c+2][r] v[c+2]) + A[c+3][r] v[c+3]
 *   acc[i] += A[c+i][r] v[r]                                     (i = 0..3, r increasing)
 *
 * with acc four doubles at `acc` (read, added to, written back). The caller does the 4 × 4
 * diagonal block before and an odd last column after. Each y[r] and each acc[i] sees exactly the
 * multiplications and additions, in the same order, of eigh.ts's JavaScript loop (the two lanes of
 * an f64x2 hold two different r, or the sums of two different rows), so the product is bitwise the
 * same (tested).
 */
import { emitter, I32, lazyModule, V128, wasmModule } from './wasm-encoding.ts';

const OP = { block: 0x02, loop: 0x03, end: 0x0b, br: 0x0c, brIf: 0x0d, i32GeU: 0x4f, i32Add: 0x6a, i32Mul: 0x6c, i32Shl: 0x74 } as const;
const SIMD = { load: 0, load64Splat: 10, store: 11, shuffle: 13, f64x2Add: 240, f64x2Mul: 242 } as const;
const LOW_LANES = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];
const HIGH_LANES = [8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31];

export function symvModuleBytes(): Uint8Array {
  const P = { a: 0, n: 1, c: 2, v: 3, y: 4, acc: 5 };
  // i32 locals: the four row pointers (at column r), v and y pointers (at r), the stop pointer.
  const L = { p0: 6, p1: 7, p2: 8, p3: 9, pv: 10, py: 11, stop: 12, rowBytes: 13 };
  const i32Locals = 8;
  const vBase = 14;
  const V = { v0: vBase, v1: vBase + 1, v2: vBase + 2, v3: vBase + 3, acc01: vBase + 4, acc23: vBase + 5, x0: vBase + 6, x1: vBase + 7, x2: vBase + 8, x3: vBase + 9, vr: vBase + 10, t: vBase + 11, q0: vBase + 12, q1: vBase + 13 };
  const v128Locals = 14;
  const x = [V.x0, V.x1, V.x2, V.x3];
  const vc = [V.v0, V.v1, V.v2, V.v3];
  const { c, get, set, i32, simd, memarg } = emitter();
  const add = () => c.push(OP.i32Add);

  get(P.n); i32(3); c.push(OP.i32Shl); set(L.rowBytes);
  // p0 = a + (c n + c + 4) * 8, p_i = p0 + i * rowBytes
  get(P.a); get(P.c); get(P.n); c.push(OP.i32Mul); get(P.c); add(); i32(4); add(); i32(3); c.push(OP.i32Shl); add(); set(L.p0);
  get(L.p0); get(L.rowBytes); add(); set(L.p1);
  get(L.p1); get(L.rowBytes); add(); set(L.p2);
  get(L.p2); get(L.rowBytes); add(); set(L.p3);
  get(P.c); i32(4); add(); i32(3); c.push(OP.i32Shl); set(L.stop); // (c + 4) * 8, reused below
  get(P.v); get(L.stop); add(); set(L.pv);
  get(P.y); get(L.stop); add(); set(L.py);
  // stop = v + (n - 1) * 8: a pair (r, r + 1) needs r + 1 < n, i.e. pv < stop
  get(P.v); get(P.n); i32(-1); add(); i32(3); c.push(OP.i32Shl); add(); set(L.stop);
  for (let i = 0; i < 4; i++) { get(P.v); get(P.c); i32(3); c.push(OP.i32Shl); add(); simd(SIMD.load64Splat); memarg(3, i * 8); set(vc[i]!); }
  get(P.acc); simd(SIMD.load); memarg(4, 0); set(V.acc01);
  get(P.acc); simd(SIMD.load); memarg(4, 16); set(V.acc23);

  c.push(OP.block, 0x40);
  c.push(OP.loop, 0x40);
  get(L.pv); get(L.stop); c.push(OP.i32GeU); c.push(OP.brIf, 1);
  for (let i = 0; i < 4; i++) { get([L.p0, L.p1, L.p2, L.p3][i]!); simd(SIMD.load); memarg(3, 0); set(x[i]!); }
  get(L.pv); simd(SIMD.load); memarg(3, 0); set(V.vr);
  // t = ((x0 v0 + x1 v1) + x2 v2) + x3 v3; y += t
  get(V.x0); get(V.v0); simd(SIMD.f64x2Mul); get(V.x1); get(V.v1); simd(SIMD.f64x2Mul); simd(SIMD.f64x2Add);
  get(V.x2); get(V.v2); simd(SIMD.f64x2Mul); simd(SIMD.f64x2Add);
  get(V.x3); get(V.v3); simd(SIMD.f64x2Mul); simd(SIMD.f64x2Add); set(V.t);
  get(L.py); get(L.py); simd(SIMD.load); memarg(3, 0); get(V.t); simd(SIMD.f64x2Add); simd(SIMD.store); memarg(3, 0);
  // acc pairs: (acc_i, acc_j) += (x_i[r] v[r], x_j[r] v[r]), then the same for r + 1
  for (const [xi, xj, accReg] of [[V.x0, V.x1, V.acc01], [V.x2, V.x3, V.acc23]] as const) {
    get(xi); get(V.vr); simd(SIMD.f64x2Mul); set(V.q0);
    get(xj); get(V.vr); simd(SIMD.f64x2Mul); set(V.q1);
    get(accReg); get(V.q0); get(V.q1); simd(SIMD.shuffle); c.push(...LOW_LANES); simd(SIMD.f64x2Add);
    get(V.q0); get(V.q1); simd(SIMD.shuffle); c.push(...HIGH_LANES); simd(SIMD.f64x2Add); set(accReg);
  }
  for (const p of [L.p0, L.p1, L.p2, L.p3, L.pv, L.py]) { get(p); i32(16); add(); set(p); }
  c.push(OP.br, 0);
  c.push(OP.end); // loop
  c.push(OP.end); // block
  get(P.acc); get(V.acc01); simd(SIMD.store); memarg(4, 0);
  get(P.acc); get(V.acc23); simd(SIMD.store); memarg(4, 16);
  c.push(OP.end); // function
  return wasmModule([{ name: 'rows4', params: [I32, I32, I32, I32, I32, I32], locals: [[i32Locals, I32], [v128Locals, V128]], code: c }]);
}

type Rows4Fn = (a: number, n: number, c: number, v: number, y: number, acc: number) => void;
const symvModule = lazyModule(symvModuleBytes);

/** An n × n matrix and the vectors v, y of its products, in one WebAssembly memory of their own. */
export interface SymvWorkspace {
  /** n × n row-major (the caller keeps the symmetric matrix in its upper triangle). */
  readonly a: Float64Array;
  readonly v: Float64Array;
  readonly y: Float64Array;
  /**
   * For rows c .. c + 3: acc (4 doubles, the diagonal block's sums) gains A[c+i][r] v[r] and y[r]
   * gains the rows' contributions, for r = c + 4 .. the last column of an even count; returns that
   * column + 1 (where the caller's scalar tail starts).
   */
  rows4(c: number, acc: Float64Array): number;
}

/** A workspace for order n, or undefined where WebAssembly SIMD is missing (callers keep their loop). */
export function symvWorkspace(n: number): SymvWorkspace | undefined {
  const compiled = symvModule();
  if (!compiled) return undefined;
  const accOff = 0;
  const aOff = 64;
  const vOff = aOff + n * n * 8;
  const yOff = vOff + n * 8;
  const total = yOff + n * 8;
  if (total > 2 ** 32 - 65536) return undefined;
  // A memory per workspace (not kept for the process): at Kinetics width it is 150 MB, and it is
  // needed once per eigendecomposition.
  const memory = new WebAssembly.Memory({ initial: Math.ceil(total / 65536) });
  const fn = (new WebAssembly.Instance(compiled, { env: { mem: memory } }).exports as { rows4: Rows4Fn }).rows4;
  const buf = memory.buffer;
  const accView = new Float64Array(buf, accOff, 4);
  return {
    a: new Float64Array(buf, aOff, n * n),
    v: new Float64Array(buf, vOff, n),
    y: new Float64Array(buf, yOff, n),
    rows4(c, acc) {
      accView.set(acc);
      fn(aOff, n, c, vOff, yOff, accOff);
      acc.set(accView);
      return c + 4 + 2 * Math.floor((n - c - 4) / 2);
    },
  };
}
