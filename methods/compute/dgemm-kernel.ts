/**
 * A float64 GEMM micro-kernel written directly as WebAssembly bytecode (f64x2 SIMD), assembled at
 * start-up like the float32 one in wasm-kernel.ts, plus the work-unit scheduler shared by the
 * calling thread and the workers (dgemm-pool.ts, dgemm-worker.ts).
 *
 * Exported function (byte addresses into the imported memory `env.mem`):
 *
 *   dgemm(ap, bp, cp, mTiles, kc, ldcBytes, alpha)
 *
 * For one packed 4-column panel of B at bp ([k][4] doubles) and mTiles packed 4-row tiles of A at
 * ap ([tile][k][4] doubles) it computes, per tile t, acc = Σ_{k<kc} A[t][k][r] · B[k][c] and then
 * C[4t + r][c] += alpha · acc (C row-major with a row stride of ldcBytes, starting at cp).
 *
 * Why exactly this arithmetic: it is the same sequence of IEEE operations as the TypeScript kernel
 * in methods/linalg/gemm.ts (per output entry: a running sum over one depth block from 0, in
 * increasing k, then one `c += alpha * acc`, blocks in increasing order). Plain f64x2.mul +
 * f64x2.add, no fused multiply-add, so the two paths give bitwise identical results, and the
 * result does not depend on how tiles are split across threads (each tile is computed by exactly
 * one thread, with the same operations).
 *
 * Lane layout (why it is faster): a broadcast of one A entry per row costs JavaScriptCore a scalar
 * load and a general-register-to-vector move for every row but the first. Instead, A's tile rows are read as two f64x2 vectors
 * (rows 0-1 and 2-3), B's four columns as two vectors (columns 0-1 and 2-3) and those two with
 * their lanes swapped (columns 1-0 and 3-2, one shuffle each). The eight lane-wise products of the
 * two A vectors with the four B vectors are exactly the 16 entries of the 4 x 4 tile, each in one
 * lane of one accumulator: acc(ra, v) holds (C[2ra][2v], C[2ra+1][2v+1]) and acc(ra, v + 2) holds
 * (C[2ra][2v+1], C[2ra+1][2v]). The store step puts the lanes back in row order with two shuffles
 * per output vector. Every entry still sees the same multiplies and adds in the same order (the
 * shuffles only move values), so the results are bitwise those of the broadcast form and of the
 * TypeScript kernel (gemm-wasm.test.ts). On the same 128 x 256 x 64 blocks, five alternating
 * single-thread runs here: 6.2 G multiply-adds/s on average against 5.1 for the broadcast form.
 *
 * Register use: 8 accumulators, 4 B vectors, 2 A vectors and alpha: 15 of the 16 xmm registers
 * x86-64 engines allocate, so nothing spills.
 */
import { claimAndRun } from './wasm-kernel.ts';
import { emitter, F64, I32, V128, wasmModule } from './wasm-encoding.ts';

/** Rows per A tile and columns per B panel. */
export const DMR = 4;
export const DNR = 4;
/** Row tiles per work unit: 128 rows x 256 depth x 8 bytes = 256 KiB of packed A, half the 512 KiB L2. */
export const UNIT_ROW_TILES = 32;
/** Column panels per work unit: 64 columns, so a unit is ~2M multiply-adds (well above claim overhead). */
export const UNIT_COL_PANELS = 16;

const OP = {
  loop: 0x03, end: 0x0b, brIf: 0x0d,
  i32LtU: 0x49, i32Ne: 0x47, i32Add: 0x6a, i32Mul: 0x6c,
} as const;
const SIMD = { load: 0, store: 11, const: 12, shuffle: 13, f64x2Splat: 20, f64x2Add: 240, f64x2Mul: 242 } as const;
/** i8x16.shuffle byte patterns: swap the two f64 lanes of one vector; lane 0 of both; lane 1 of both. */
const SWAP_LANES = [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];
const LOW_LANES = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];
const HIGH_LANES = [8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31];

/** The module's bytes; `shared` declares the imported memory shared (max `maxPages`) for workers. */
export function dgemmModuleBytes(shared: boolean, maxPages = 65536): Uint8Array {
  const P = { ap: 0, bp: 1, cp: 2, mTiles: 3, kc: 4, ldc: 5, alpha: 6 };
  const L = { it: 7, a: 8, b: 9, bEnd: 10, c: 11 };
  const i32Locals = 5;
  const vBase = 12;
  /** ra: A rows 2ra, 2ra+1; v: B columns 0-1, 2-3, 1-0, 3-2. */
  const acc = (ra: number, v: number) => vBase + ra * 4 + v;
  const bReg = (v: number) => vBase + 8 + v;
  const aReg = (ra: number) => vBase + 12 + ra;
  const alphaReg = vBase + 14;
  const v128Locals = 15;
  const panelBytes = DNR * 8;
  const tileRowBytes = DMR * 8;

  const { c, get, set, tee, i32, simd, memarg } = emitter();

  get(P.alpha); simd(SIMD.f64x2Splat); set(alphaReg);
  i32(0); set(L.it);
  get(P.ap); set(L.a);
  c.push(OP.loop, 0x40); // row tiles
  get(P.bp); set(L.b);
  get(P.bp); get(P.kc); i32(panelBytes); c.push(OP.i32Mul); c.push(OP.i32Add); set(L.bEnd);
  for (let ra = 0; ra < 2; ra++) {
    for (let v = 0; v < 4; v++) {
      simd(SIMD.const); c.push(...new Array<number>(16).fill(0)); set(acc(ra, v));
    }
  }
  c.push(OP.loop, 0x40); // k
  for (let v = 0; v < 2; v++) { get(L.b); simd(SIMD.load); memarg(4, v * 16); set(bReg(v)); }
  for (let v = 0; v < 2; v++) { get(bReg(v)); get(bReg(v)); simd(SIMD.shuffle); c.push(...SWAP_LANES); set(bReg(v + 2)); }
  for (let ra = 0; ra < 2; ra++) { get(L.a); simd(SIMD.load); memarg(4, ra * 16); set(aReg(ra)); }
  for (let ra = 0; ra < 2; ra++) {
    for (let v = 0; v < 4; v++) {
      get(acc(ra, v)); get(aReg(ra)); get(bReg(v)); simd(SIMD.f64x2Mul); simd(SIMD.f64x2Add); set(acc(ra, v));
    }
  }
  get(L.a); i32(tileRowBytes); c.push(OP.i32Add); set(L.a);
  get(L.b); i32(panelBytes); c.push(OP.i32Add); tee(L.b);
  get(L.bEnd); c.push(OP.i32Ne);
  c.push(OP.brIf, 0);
  c.push(OP.end); // k
  // c = cp + it * 4 * ldc
  get(P.cp); get(L.it); i32(DMR); c.push(OP.i32Mul); get(P.ldc); c.push(OP.i32Mul); c.push(OP.i32Add); set(L.c);
  for (let r = 0; r < DMR; r++) {
    const ra = r >> 1;
    for (let v = 0; v < 2; v++) {
      get(L.c);
      get(L.c); simd(SIMD.load); memarg(4, v * 16);
      get(alphaReg);
      // row 2ra: (acc(ra, v) lane 0, acc(ra, v + 2) lane 0); row 2ra + 1: (acc(ra, v + 2) lane 1, acc(ra, v) lane 1)
      if (r % 2 === 0) { get(acc(ra, v)); get(acc(ra, v + 2)); simd(SIMD.shuffle); c.push(...LOW_LANES); }
      else { get(acc(ra, v + 2)); get(acc(ra, v)); simd(SIMD.shuffle); c.push(...HIGH_LANES); }
      simd(SIMD.f64x2Mul);
      simd(SIMD.f64x2Add);
      simd(SIMD.store); memarg(4, v * 16);
    }
    if (r < DMR - 1) { get(L.c); get(P.ldc); c.push(OP.i32Add); set(L.c); }
  }
  get(L.it); i32(1); c.push(OP.i32Add); tee(L.it); get(P.mTiles); c.push(OP.i32LtU); c.push(OP.brIf, 0);
  c.push(OP.end); // row tiles
  c.push(OP.end); // function

  return wasmModule(
    [{ name: 'dgemm', params: [I32, I32, I32, I32, I32, I32, F64], locals: [[i32Locals, I32], [v128Locals, V128]], code: c }],
    { shared, maxPages },
  );
}

export type DgemmFn = (ap: number, bp: number, cp: number, mTiles: number, kc: number, ldcBytes: number, alpha: number) => void;

export function dgemmSimdSupported(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(dgemmModuleBytes(false));
  } catch {
    return false;
  }
}

/** 0: every tile; 1: tiles touching row <= col; 2: tiles touching row >= col (gemm.ts's Triangle). */
export type TriangleCode = 0 | 1 | 2;

/** One depth block of one product, as laid out in a wasm memory (byte offsets). */
export interface DgemmJob {
  /** Real rows (of C and A) and columns (of C and B) of this piece. */
  readonly m: number;
  readonly n: number;
  /** Row of this piece's first row inside the whole product (for the triangle test). */
  readonly rowBase: number;
  readonly kc: number;
  readonly aOff: number;
  readonly bOff: number;
  readonly cOff: number;
  readonly ldcBytes: number;
  readonly triangle: TriangleCode;
  readonly alpha: number;
}

export function jobUnits(job: DgemmJob): number {
  return Math.ceil(Math.ceil(job.m / DMR) / UNIT_ROW_TILES) * Math.ceil(Math.ceil(job.n / DNR) / UNIT_COL_PANELS);
}

/**
 * Runs work unit `unit` of a job: a block of up to UNIT_ROW_TILES row tiles against up to
 * UNIT_COL_PANELS column panels, skipping exactly the tiles gemm.ts's TypeScript kernel skips for
 * a triangle (a tile at (gi, gj) with nr live columns is skipped for 'upper' when gj + nr - 1 < gi;
 * with mr live rows for 'lower' when gi + mr - 1 < gj).
 */
export function runDgemmUnit(fn: DgemmFn, job: DgemmJob, unit: number): void {
  const { m, n, rowBase, kc, triangle } = job;
  const mTiles = Math.ceil(m / DMR);
  const nTiles = Math.ceil(n / DNR);
  const chunks = Math.ceil(nTiles / UNIT_COL_PANELS);
  const rb = Math.floor(unit / chunks);
  const it0 = rb * UNIT_ROW_TILES;
  const it1 = Math.min(mTiles, it0 + UNIT_ROW_TILES);
  const jt0 = (unit - rb * chunks) * UNIT_COL_PANELS;
  const jt1 = Math.min(nTiles, jt0 + UNIT_COL_PANELS);
  const tileBytes = kc * DMR * 8;
  const lastRows = m - (mTiles - 1) * DMR;
  for (let jt = jt0; jt < jt1; jt++) {
    const gj = jt * DNR;
    let lo = it0;
    let hi = it1;
    if (triangle === 1) {
      const nr = Math.min(DNR, n - gj);
      // rowBase + 4 it <= gj + nr - 1
      hi = Math.min(hi, Math.floor((gj + nr - 1 - rowBase) / DMR) + 1);
    } else if (triangle === 2) {
      // rowBase + 4 it + 3 >= gj for full tiles; the partial last tile needs its own test.
      lo = Math.max(lo, Math.ceil((gj - rowBase - (DMR - 1)) / DMR));
      if (hi === mTiles && hi > lo && rowBase + (mTiles - 1) * DMR + lastRows - 1 < gj) hi--;
    }
    if (hi <= lo) continue;
    fn(job.aOff + lo * tileBytes, job.bOff + jt * tileBytes, job.cOff + lo * DMR * job.ldcBytes + gj * 8, hi - lo, kc, job.ldcBytes, job.alpha);
  }
}

/**
 * Shared control block of the dgemm pool: Int32 words [gen, claim, done, workerUnits, then two
 * job slots], and the jobs' alpha values in a Float64Array over a second buffer. The claim
 * protocol is wasm-kernel.ts's (claimAndRun): a job is published by writing slot gen % 2, then
 * CLAIM = gen << 16, DONE = 0, GEN = gen.
 */
export const DCTRL = {
  gen: 0, claim: 1, done: 2, workerUnits: 3,
  slot0: 4, slotSize: 12,
  // fields inside a slot
  memId: 0, total: 1, m: 2, n: 3, rowBase: 4, kc: 5, aOff: 6, bOff: 7, cOff: 8, ldcBytes: 9, triangle: 10,
  length: 4 + 2 * 12,
} as const;

export function writeJob(ctrl: Int32Array, alphas: Float64Array, gen: number, memId: number, total: number, job: DgemmJob): void {
  const slot = gen % 2;
  const s = DCTRL.slot0 + slot * DCTRL.slotSize;
  ctrl[s + DCTRL.memId] = memId;
  ctrl[s + DCTRL.total] = total;
  ctrl[s + DCTRL.m] = job.m;
  ctrl[s + DCTRL.n] = job.n;
  ctrl[s + DCTRL.rowBase] = job.rowBase;
  ctrl[s + DCTRL.kc] = job.kc;
  ctrl[s + DCTRL.aOff] = job.aOff;
  ctrl[s + DCTRL.bOff] = job.bOff;
  ctrl[s + DCTRL.cOff] = job.cOff;
  ctrl[s + DCTRL.ldcBytes] = job.ldcBytes;
  ctrl[s + DCTRL.triangle] = job.triangle;
  alphas[slot] = job.alpha;
}

export function readJob(ctrl: Int32Array, alphas: Float64Array, gen: number): { memId: number; total: number; job: DgemmJob } {
  const slot = gen % 2;
  const s = DCTRL.slot0 + slot * DCTRL.slotSize;
  return {
    memId: ctrl[s + DCTRL.memId]!,
    total: ctrl[s + DCTRL.total]!,
    job: {
      m: ctrl[s + DCTRL.m]!,
      n: ctrl[s + DCTRL.n]!,
      rowBase: ctrl[s + DCTRL.rowBase]!,
      kc: ctrl[s + DCTRL.kc]!,
      aOff: ctrl[s + DCTRL.aOff]!,
      bOff: ctrl[s + DCTRL.bOff]!,
      cOff: ctrl[s + DCTRL.cOff]!,
      ldcBytes: ctrl[s + DCTRL.ldcBytes]!,
      triangle: ctrl[s + DCTRL.triangle]! as TriangleCode,
      alpha: alphas[slot]!,
    },
  };
}

export { claimAndRun };
