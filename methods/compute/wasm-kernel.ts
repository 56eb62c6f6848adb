/**
 * A float32 GEMM micro-kernel written directly as WebAssembly bytecode (128-bit SIMD, no toolchain
 * needed: the module is ~1 kB and is assembled here at start-up, then compiled synchronously).
 *
 * Exported function (all i32 arguments, byte addresses into the imported memory `env.mem`):
 *
 *   gemm(ap, bp, cp, mTiles, nTiles, kc, ldcBytes, accumulate)
 *
 * For every column panel jt < nTiles and row tile it < mTiles it computes the MR x NR tile
 *   C[it*MR + r][jt*NR + c] (+)= Σ_{k<kc} Apack[it][k][r] · Bpack[jt][k][c]
 * with Apack at ap laid out [it][k][MR] and Bpack at bp laid out [jt][k][NR]; C is row-major
 * with a row stride of ldcBytes starting at cp. With accumulate = 0 the tile is overwritten,
 * otherwise added to. The loop order (panels outer, tiles inner) keeps one kc x NR panel of B in
 * L1 while the packed A block streams from L2.
 *
 * Plain f32x4.mul + f32x4.add (no relaxed-SIMD FMA): the results are deterministic on every
 * engine and measured no slower than relaxed_madd under Bun (JavaScriptCore).
 */

import { emitter, I32, V128, wasmModule } from './wasm-encoding.ts';

export const MR = 4;
const NRV = 4;
export const NR = NRV * 4;

const OP = {
  loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, brIf: 0x0d,
  i32LtU: 0x49, i32Add: 0x6a, i32Sub: 0x6b, i32Mul: 0x6c,
} as const;
const SIMD = {
  load: 0, load32Splat: 9, store: 11, const: 12, shuffle: 13, f32x4Add: 228, f32x4Mul: 230, i32x4Add: 174, i32x4DotI16x8S: 186,
} as const;

/**
 * Element kind of a kernel: 'f32' multiplies float32 values; 'i16' multiplies pairs of int16
 * values packed in each 32-bit slot (k and k + 1 of one row) with i32x4.dot_i16x8_s, accumulating
 * exact int32 sums: 8 multiply-adds per SIMD instruction pair instead of 4, for products whose
 * caller bounds the sums below 2^31 (KNN's quantised pre-selection, methods/scorers/knn.ts).
 * Both kinds share the layout: a 32-bit slot per "depth" step, so packing and blocking are one.
 */
export type KernelKind = 'f32' | 'i16';

/**
 * The module's bytes. With `shared` the memory import is declared shared with `maxPages`
 * (required to share it with workers); otherwise it is a plain memory of at least one page.
 */
export function sgemmModuleBytes(shared: boolean, maxPages = 65536, kind: KernelKind = 'f32'): Uint8Array {
  return wasmModule(
    [{ name: 'gemm', params: new Array<number>(8).fill(I32), ...(kind === 'i16' ? int16PairsBody() : float32Body()) }],
    { shared, maxPages },
  );
}

/** The f32 kernel: a 4 x 16 tile, one broadcast A entry per row against four B vectors. */
function float32Body(): { locals: [number, number][]; code: number[] } {
  // i32 locals 8..14, then v128 locals.
  const i32Locals = 7;
  const vBase = 15;
  const acc = (r: number, v: number) => vBase + r * NRV + v;
  const bReg = (v: number) => vBase + MR * NRV + v;
  const aReg = vBase + MR * NRV + NRV;
  const v128Locals = MR * NRV + NRV + 1;
  const e = emitter();
  const { c, get, set, simd, memarg } = e;

  panelAndTileLoops(e, () => {
    rowTileA(e);
    get(L.panel); set(L.bp);
    get(P.kc); set(L.k);
    for (let r = 0; r < MR; r++) {
      for (let v = 0; v < NRV; v++) {
        simd(SIMD.const); c.push(...new Array<number>(16).fill(0)); set(acc(r, v));
      }
    }
    c.push(OP.loop, 0x40); // k
    for (let v = 0; v < NRV; v++) { get(L.bp); simd(SIMD.load); memarg(4, v * 16); set(bReg(v)); }
    for (let r = 0; r < MR; r++) {
      get(L.ap); simd(SIMD.load32Splat); memarg(2, r * 4); set(aReg);
      for (let v = 0; v < NRV; v++) {
        get(acc(r, v)); get(aReg); get(bReg(v));
        simd(SIMD.f32x4Mul); simd(SIMD.f32x4Add);
        set(acc(r, v));
      }
    }
    nextDepth(e);
    tileC(e);
    set(L.cp);
    for (let r = 0; r < MR; r++) {
      for (let v = 0; v < NRV; v++) storeTile(e, v * 16, SIMD.f32x4Add, () => get(acc(r, v)));
      if (r < MR - 1) { get(L.cp); get(P.ldc); c.push(OP.i32Add); set(L.cp); }
    }
  });
  return { locals: [[i32Locals, I32], [v128Locals, V128]], code: c };
}

/** i32 lanes picked from two vectors (src 0 or 1, lane 0..3) as i8x16.shuffle's 16 byte indices. */
function i32Lanes(sel: readonly (readonly [number, number])[]): number[] {
  return sel.flatMap(([src, lane]) => [0, 1, 2, 3].map((b) => src * 16 + lane * 4 + b));
}

/** Columns of a panel per pass of the int16 kernel (two i32x4 vectors of B). */
const I16_HALF = 8;

/**
 * The int16-pairs kernel: the same contract, layout and sums (exact integers, so their order is
 * free) as the f32 kernel with dot_i16x8_s, but no broadcasts. A's four rows are one vector;
 * rotating its lanes by rho (one shuffle) lines row (i + rho) % 4 up with column i of a B vector,
 * so the four rotations times two B vectors give a 4 x 8 tile in 8 accumulators: acc(rho, v) lane
 * i is C[(i + rho) % 4][4v + i]. A panel of NR = 16 columns takes two such passes, and the store
 * step gathers each row back with three shuffles. 8 accumulators, 2 B vectors, A and its rotation
 * fit the 16 vector registers, where the broadcast form's 4 x 16 tile needs 21 and its broadcasts
 * cost JavaScriptCore a scalar load and a move each. KNN at half Kinetics scale, three alternating
 * runs of the same job: 11.3 s against 13.6 s with the broadcast form.
 */
function int16PairsBody(): { locals: [number, number][]; code: number[] } {
  // i32 locals 8..15 (L.h the pass over the panel's halves), then v128 locals.
  const i32Locals = 8;
  const vBase = 16;
  const HV = I16_HALF / 4;
  const acc = (rho: number, v: number) => vBase + rho * HV + v;
  const bReg = (v: number) => vBase + 4 * HV + v;
  const aReg = vBase + 5 * HV;
  const aRot = aReg + 1;
  const t1 = aReg + 2;
  const t2 = aReg + 3;
  const v128Locals = 5 * HV + 4;
  const mod4 = (x: number) => ((x % 4) + 4) % 4;
  const e = emitter();
  const { c, get, set, tee, i32, simd, memarg } = e;

  panelAndTileLoops(e, () => {
    i32(0); set(L.h);
    c.push(OP.loop, 0x40); // the panel's two halves
    rowTileA(e);
    get(L.panel); get(L.h); i32(I16_HALF * 4); c.push(OP.i32Mul); c.push(OP.i32Add); set(L.bp);
    get(P.kc); set(L.k);
    for (let rho = 0; rho < 4; rho++) {
      for (let v = 0; v < HV; v++) { simd(SIMD.const); c.push(...new Array<number>(16).fill(0)); set(acc(rho, v)); }
    }
    c.push(OP.loop, 0x40); // k
    for (let v = 0; v < HV; v++) { get(L.bp); simd(SIMD.load); memarg(4, v * 16); set(bReg(v)); }
    get(L.ap); simd(SIMD.load); memarg(4, 0); set(aReg);
    for (let rho = 0; rho < 4; rho++) {
      const a = rho === 0 ? aReg : aRot;
      if (rho > 0) {
        get(aReg); get(aReg); simd(SIMD.shuffle); c.push(...i32Lanes([0, 1, 2, 3].map((i) => [0, (i + rho) % 4] as const))); set(aRot);
      }
      for (let v = 0; v < HV; v++) {
        get(acc(rho, v)); get(a); get(bReg(v)); simd(SIMD.i32x4DotI16x8S); simd(SIMD.i32x4Add); set(acc(rho, v));
      }
    }
    nextDepth(e);
    tileC(e);
    get(L.h); i32(I16_HALF * 4); c.push(OP.i32Mul); c.push(OP.i32Add); set(L.cp);
    for (let r = 0; r < MR; r++) {
      for (let v = 0; v < HV; v++) {
        // row r, lane i comes from acc((r - i) mod 4, v): lanes 0-1 from two accumulators, 2-3 from two more
        get(acc(mod4(r), v)); get(acc(mod4(r - 1), v)); simd(SIMD.shuffle); c.push(...i32Lanes([[0, 0], [1, 1], [0, 2], [0, 3]])); set(t1);
        get(acc(mod4(r - 2), v)); get(acc(mod4(r - 3), v)); simd(SIMD.shuffle); c.push(...i32Lanes([[0, 0], [0, 1], [0, 2], [1, 3]])); set(t2);
        get(t1); get(t2); simd(SIMD.shuffle); c.push(...i32Lanes([[0, 0], [0, 1], [1, 2], [1, 3]])); set(t1);
        storeTile(e, v * 16, SIMD.i32x4Add, () => get(t1));
      }
      if (r < MR - 1) { get(L.cp); get(P.ldc); c.push(OP.i32Add); set(L.cp); }
    }
    get(L.h); i32(1); c.push(OP.i32Add); tee(L.h); i32(NR / I16_HALF); c.push(OP.i32LtU); c.push(OP.brIf, 0);
    c.push(OP.end); // halves
  });
  return { locals: [[i32Locals, I32], [v128Locals, V128]], code: c };
}

// ----- what both kernels share -------------------------------------------------------------------

/** Parameters (gemm's signature) and i32 locals of both kernels. */
const P = { ap0: 0, bp0: 1, cp0: 2, mTiles: 3, nTiles: 4, kc: 5, ldc: 6, accumulate: 7 } as const;
const L = { jt: 8, it: 9, ap: 10, bp: 11, k: 12, cp: 13, panel: 14, h: 15 } as const;
type Emitter = ReturnType<typeof emitter>;

/**
 * The function's loops: column panels outermost (one kc x NR panel of B at L.panel), row tiles
 * inside (L.it), `tile` emitting one row tile's work; then the function's end.
 */
function panelAndTileLoops(e: Emitter, tile: () => void): void {
  const { c, get, set, tee, i32 } = e;
  i32(0); set(L.jt);
  c.push(OP.loop, 0x40); // panels
  get(P.bp0); get(L.jt); get(P.kc); c.push(OP.i32Mul); i32(NR * 4); c.push(OP.i32Mul); c.push(OP.i32Add); set(L.panel);
  i32(0); set(L.it);
  c.push(OP.loop, 0x40); // row tiles
  tile();
  get(L.it); i32(1); c.push(OP.i32Add); tee(L.it); get(P.mTiles); c.push(OP.i32LtU); c.push(OP.brIf, 0);
  c.push(OP.end); // row tiles
  get(L.jt); i32(1); c.push(OP.i32Add); tee(L.jt); get(P.nTiles); c.push(OP.i32LtU); c.push(OP.brIf, 0);
  c.push(OP.end); // panels
  c.push(OP.end); // function
}

/** L.ap = the packed A of row tile L.it. */
function rowTileA(e: Emitter): void {
  const { c, get, set, i32 } = e;
  get(P.ap0); get(L.it); get(P.kc); c.push(OP.i32Mul); i32(MR * 4); c.push(OP.i32Mul); c.push(OP.i32Add); set(L.ap);
}

/** The depth loop's tail: next depth step of A and B, count L.k down, close the loop. */
function nextDepth(e: Emitter): void {
  const { c, get, set, tee, i32 } = e;
  get(L.ap); i32(MR * 4); c.push(OP.i32Add); set(L.ap);
  get(L.bp); i32(NR * 4); c.push(OP.i32Add); set(L.bp);
  get(L.k); i32(1); c.push(OP.i32Sub); tee(L.k);
  c.push(OP.brIf, 0);
  c.push(OP.end); // k
}

/** Pushes cp0 + it*MR*ldc + jt*NR*4, the tile's first output byte (the caller adds to or sets it). */
function tileC(e: Emitter): void {
  const { c, get, i32 } = e;
  get(P.cp0); get(L.it); i32(MR); c.push(OP.i32Mul); get(P.ldc); c.push(OP.i32Mul); c.push(OP.i32Add);
  get(L.jt); i32(NR * 4); c.push(OP.i32Mul); c.push(OP.i32Add);
}

/** C[L.cp + offset] = value, or += value (with `addOp`) when the accumulate parameter is set. */
function storeTile(e: Emitter, offset: number, addOp: number, value: () => void): void {
  const { c, get, simd, memarg } = e;
  get(L.cp);
  get(P.accumulate); c.push(OP.if, V128);
  get(L.cp); simd(SIMD.load); memarg(4, offset); value(); simd(addOp);
  c.push(OP.else); value();
  c.push(OP.end);
  simd(SIMD.store); memarg(4, offset);
}

export type GemmFn = (
  ap: number, bp: number, cp: number, mTiles: number, nTiles: number, kc: number, ldcBytes: number, accumulate: number,
) => void;

/** Whether this engine validates the (non-shared) kernel, i.e. supports WebAssembly SIMD. */
export function wasmSimdSupported(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(sgemmModuleBytes(false));
  } catch {
    return false;
  }
}

/**
 * Packs rows [row0, row0 + count) of a row-major matrix (`cols` wide) for one depth block
 * [k0, k0 + kc) into `dst` at float offset `off`: [tile][k][lane] with `lanes` rows per tile,
 * zero-padding rows past `count`. Used for both operands (A: lanes = MR, B: lanes = NR).
 */
export function packBlock(
  src: Slots, cols: number, row0: number, count: number,
  k0: number, kc: number, lanes: number, dst: Slots, off: number,
): number {
  const tiles = Math.ceil(count / lanes);
  let o = off;
  for (let t = 0; t < tiles; t++) {
    const base = t * lanes;
    const live = Math.min(lanes, count - base);
    if (live < lanes) dst.fill(0, o, o + kc * lanes);
    for (let l = 0; l < live; l++) {
      let s = (row0 + base + l) * cols + k0;
      let d = o + l;
      for (let k = 0; k < kc; k++) {
        dst[d] = src[s]!;
        s++;
        d += lanes;
      }
    }
    o += kc * lanes;
  }
  return o;
}

/**
 * 32-bit slots: float32 values, or (for 'i16') int16 pairs read as Int32 so that copying them
 * through JavaScript numbers is exact (a Float32Array view would canonicalise NaN bit patterns).
 */
export type Slots = Float32Array | Int32Array;

/** Depth of one packed block (kc): a 256 x 16 panel of B is 16 kB and stays in L1. */
export const KC = 256;
/** Rows of A per packed row block: 256 x 256 floats of A (256 kB) stay in L2. */
export const MB = 256;
/** Row blocks per job: one multiply() job (one barrier between threads) covers 2 x 256 rows of A. */
export const BLOCKS_PER_JOB = 2;
/** Rows of A per job. */
export const JOB_ROWS = MB * BLOCKS_PER_JOB;
/** Column panels per work unit (the unit threads claim): 32 x 16 = 512 columns. */
export const CHUNK_PANELS = 32;

/** Where one prepared part of B and its scratch live in a wasm memory (byte offsets). */
export interface PartLayout {
  /** Inner dimension. */
  readonly depth: number;
  /** Rows of B in this part and the panels (of NR) they fill. */
  readonly rows: number;
  readonly nTiles: number;
  readonly bOff: number;
  /** Packed A: BLOCKS_PER_JOB blocks of MB x depth floats. */
  readonly aOff: number;
  /** C: JOB_ROWS rows of ldcBytes. */
  readonly cOff: number;
  /** Row stride of C in bytes (nTiles * NR * 4). */
  readonly ldcBytes: number;
  readonly bytes: number;
}

export function partLayout(depth: number, rows: number): PartLayout {
  const nTiles = Math.ceil(rows / NR);
  const bBytes = depth * nTiles * NR * 4;
  const aBytes = depth * JOB_ROWS * 4;
  const ldcBytes = nTiles * NR * 4;
  const bOff = 0;
  const aOff = bOff + bBytes;
  const cOff = aOff + aBytes;
  return { depth, rows, nTiles, bOff, aOff, cOff, ldcBytes, bytes: cOff + JOB_ROWS * ldcBytes };
}

/** Bytes a part of `rows` rows of B needs, for sizing parts. */
export function partBytes(depth: number, rows: number): number {
  return partLayout(depth, rows).bytes;
}

/** Packs all of B (row-major, `rows` x `depth`, starting at row `row0` of src) into memory. */
export function packRight(src: Slots, row0: number, layout: PartLayout, mem: Slots): void {
  const { depth, rows, nTiles } = layout;
  for (let k0 = 0; k0 < depth; k0 += KC) {
    const kc = Math.min(KC, depth - k0);
    packBlock(src, depth, row0, rows, k0, kc, NR, mem, layout.bOff / 4 + k0 * nTiles * NR);
  }
}

/** Packs rows [row0, row0 + count) of A (count <= JOB_ROWS) into the A scratch, block by block. */
export function packLeft(a: Slots, row0: number, count: number, layout: PartLayout, mem: Slots): void {
  const depth = layout.depth;
  for (let b = 0; b * MB < count; b++) {
    const rows = Math.min(MB, count - b * MB);
    const mTiles = Math.ceil(rows / MR);
    const base = layout.aOff / 4 + b * MB * depth;
    for (let k0 = 0; k0 < depth; k0 += KC) {
      const kc = Math.min(KC, depth - k0);
      packBlock(a, depth, row0 + b * MB, rows, k0, kc, MR, mem, base + k0 * mTiles * MR);
    }
  }
}

/** Work units of a job over `count` rows of A: (row block, column chunk) pairs. */
export function unitCount(layout: PartLayout, count: number): number {
  return Math.ceil(count / MB) * Math.ceil(layout.nTiles / CHUNK_PANELS);
}

/** Runs work unit `unit` of a job over `count` packed rows of A (all depth blocks) into C. */
export function runUnit(gemm: GemmFn, layout: PartLayout, count: number, unit: number): void {
  const { depth, nTiles } = layout;
  const chunks = Math.ceil(nTiles / CHUNK_PANELS);
  const block = Math.floor(unit / chunks);
  const jt0 = (unit - block * chunks) * CHUNK_PANELS;
  const panels = Math.min(CHUNK_PANELS, nTiles - jt0);
  const mTiles = Math.ceil(Math.min(MB, count - block * MB) / MR);
  const aBase = layout.aOff + block * MB * depth * 4;
  const cBase = layout.cOff + block * MB * layout.ldcBytes + jt0 * NR * 4;
  for (let k0 = 0; k0 < depth; k0 += KC) {
    const kc = Math.min(KC, depth - k0);
    gemm(
      aBase + k0 * mTiles * MR * 4,
      layout.bOff + (k0 * nTiles * NR + jt0 * kc * NR) * 4,
      cBase,
      mTiles, panels, kc, layout.ldcBytes, k0 > 0 ? 1 : 0,
    );
  }
}

/**
 * Control block shared by the main thread and the workers (an Int32Array on a SharedArrayBuffer).
 * A job is published by writing its parameters into slot (gen % 2), then CLAIM = gen << 16,
 * DONE = 0, GEN = gen. Threads claim units by compare-and-swap on CLAIM, which only succeeds
 * while CLAIM still carries their generation, so a straggler can never run a unit of a job it
 * read stale parameters for (a slot is only rewritten two jobs later, after its job completed).
 */
export const CTRL = {
  gen: 0, claim: 1, done: 2, workerChunks: 3,
  slot0: 4, slotSize: 8,
  // fields inside a slot
  opId: 0, total: 1, rows: 2,
  length: 4 + 2 * 8,
} as const;

export const GEN_MASK = 0x7fff;

/** Claims and runs units of job `gen` until none are left; returns how many this thread ran. */
export function claimAndRun(
  ctrl: Int32Array, gen: number, total: number,
  run: (unit: number) => void,
): number {
  let ran = 0;
  const tag = (gen & GEN_MASK) << 16;
  for (;;) {
    const v = Atomics.load(ctrl, CTRL.claim);
    if ((v & ~0xffff) !== tag) return ran;
    const idx = v & 0xffff;
    if (idx >= total) return ran;
    if (Atomics.compareExchange(ctrl, CTRL.claim, v, v + 1) !== v) continue;
    run(idx);
    ran++;
    Atomics.add(ctrl, CTRL.done, 1);
    Atomics.notify(ctrl, CTRL.done);
  }
}
