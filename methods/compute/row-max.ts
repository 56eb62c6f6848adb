/**
 * The maximum of each row of a float32 matrix (MaxLogit's score: the largest logit), by a
 * WebAssembly SIMD (f32x4) kernel assembled at start-up.
 *
 * Why: a scorer usually runs once per model, often in a fresh process, so the JavaScript loop ran
 * mostly before the JIT had compiled it (7 ms for the first 4,902 x 129 logits at Kinetics scale,
 * 2.6 ns an entry once warm); a WebAssembly function is compiled before its first call and here
 * reads four entries per instruction.
 *
 * Exact: wasm's f32x4.max and f32.max are IEEE 754-2019 maximum, i.e. NaN if either operand is
 * NaN and +0 above -0, the same as Math.max; that maximum is associative and commutative, so
 * taking it four lanes at a time and then across lanes gives exactly Math.max over the row, and a
 * float32 value widens to float64 exactly. (A NaN maximum is returned as JavaScript's NaN: wasm
 * leaves the sign of the NaNs it makes unspecified.)
 *
 * Exported: rowmax(src, rows, cols, dst), byte addresses into the imported memory `env.mem`: src
 * rows x cols float32 row-major (rows at any alignment), dst rows float32.
 */
import { emitter, F32, I32, lazyModule, processKernel, V128, wasmModule } from './wasm-encoding.ts';

const OP = {
  block: 0x02, loop: 0x03, end: 0x0b, br: 0x0c, brIf: 0x0d,
  f32Load: 0x2a, f32Store: 0x38, i32GeU: 0x4f, i32GtU: 0x4b, i32Add: 0x6a, i32Shl: 0x74, f32Max: 0x97,
} as const;
const SIMD = { load: 0x00, f32x4Splat: 0x13, f32x4ExtractLane: 0x1f, f32x4Max: 0xe9 } as const;

export function rowMaxModuleBytes(): Uint8Array {
  const P = { src: 0, rows: 1, cols: 2, dst: 3 };
  const L = { p: 4, rowEnd: 5, out: 6, outEnd: 7 };
  const i32Locals = 4;
  const V = { acc: 8, m: 12 }; // four v128 accumulators, then the f32 maximum
  const { c, get, set, i32, simd, memarg } = emitter();
  const add = () => c.push(OP.i32Add);

  get(P.src); set(L.p);
  get(P.dst); set(L.out);
  get(P.dst); get(P.rows); i32(2); c.push(OP.i32Shl); add(); set(L.outEnd);
  c.push(OP.block, 0x40);
  c.push(OP.loop, 0x40); // rows
  get(L.out); get(L.outEnd); c.push(OP.i32GeU); c.push(OP.brIf, 1);
  get(L.p); get(P.cols); i32(2); c.push(OP.i32Shl); add(); set(L.rowEnd);
  // the first entry in every lane of four accumulators (cols >= 1): max(x0, x0) = x0 changes nothing
  get(L.p); c.push(OP.f32Load); memarg(2, 0); simd(SIMD.f32x4Splat); set(V.acc);
  for (let k = 1; k < 4; k++) { get(V.acc); set(V.acc + k); }
  // sixteen entries at a time, into four independent accumulators (wasm's max is a chain of
  // several x86 instructions: one accumulator would wait on each)
  c.push(OP.block, 0x40);
  c.push(OP.loop, 0x40);
  get(L.p); i32(64); add(); get(L.rowEnd); c.push(OP.i32GtU); c.push(OP.brIf, 1);
  for (let k = 0; k < 4; k++) { get(V.acc + k); get(L.p); simd(SIMD.load); memarg(0, 16 * k); simd(SIMD.f32x4Max); set(V.acc + k); }
  get(L.p); i32(64); add(); set(L.p);
  c.push(OP.br, 0);
  c.push(OP.end);
  c.push(OP.end);
  // then four at a time
  c.push(OP.block, 0x40);
  c.push(OP.loop, 0x40);
  get(L.p); i32(16); add(); get(L.rowEnd); c.push(OP.i32GtU); c.push(OP.brIf, 1); // p + 16 > rowEnd: no whole vector left
  get(V.acc); get(L.p); simd(SIMD.load); memarg(0, 0); simd(SIMD.f32x4Max); set(V.acc);
  get(L.p); i32(16); add(); set(L.p);
  c.push(OP.br, 0);
  c.push(OP.end);
  c.push(OP.end);
  get(V.acc); get(V.acc + 1); simd(SIMD.f32x4Max); get(V.acc + 2); get(V.acc + 3); simd(SIMD.f32x4Max); simd(SIMD.f32x4Max); set(V.acc);
  // across lanes
  get(V.acc); simd(SIMD.f32x4ExtractLane); c.push(0);
  get(V.acc); simd(SIMD.f32x4ExtractLane); c.push(1); c.push(OP.f32Max);
  get(V.acc); simd(SIMD.f32x4ExtractLane); c.push(2); c.push(OP.f32Max);
  get(V.acc); simd(SIMD.f32x4ExtractLane); c.push(3); c.push(OP.f32Max);
  set(V.m);
  // the last cols mod 4 entries
  c.push(OP.block, 0x40);
  c.push(OP.loop, 0x40);
  get(L.p); get(L.rowEnd); c.push(OP.i32GeU); c.push(OP.brIf, 1);
  get(V.m); get(L.p); c.push(OP.f32Load); memarg(0, 0); c.push(OP.f32Max); set(V.m);
  get(L.p); i32(4); add(); set(L.p);
  c.push(OP.br, 0);
  c.push(OP.end);
  c.push(OP.end);
  get(L.out); get(V.m); c.push(OP.f32Store); memarg(2, 0);
  get(L.out); i32(4); add(); set(L.out);
  c.push(OP.br, 0);
  c.push(OP.end); // rows loop
  c.push(OP.end); // rows block
  c.push(OP.end); // function
  return wasmModule([{ name: 'rowmax', params: [I32, I32, I32, I32], locals: [[i32Locals, I32], [4, V128], [1, F32]], code: c }]);
}

type RowMaxFn = (src: number, rows: number, cols: number, dst: number) => void;
const module = lazyModule(rowMaxModuleBytes);
const kernel = processKernel<RowMaxFn>(module, 'rowmax');
/** Rows are copied in blocks of about this many bytes (the memory is kept for the process). */
const BLOCK_BYTES = 2 ** 20;

/**
 * Compiles the kernel (once; initCompute does it at start-up, with the other kernels, so that a
 * scorer's first call does not pay for assembling it). False where WebAssembly SIMD is missing.
 */
export function compileRowMax(): boolean {
  return module() !== undefined;
}

/** Row maxima of a rows x cols float32 matrix, or undefined where WebAssembly SIMD is missing. */
export function rowMaxFloat32(data: Float32Array, rows: number, cols: number): Float64Array | undefined {
  if (cols < 1) return undefined;
  const blockRows = Math.max(1, Math.min(rows, Math.floor(BLOCK_BYTES / (cols * 4))));
  const k = kernel(blockRows * (cols + 1) * 4);
  if (!k) return undefined;
  const { memory, fn } = k;
  const f32 = new Float32Array(memory.buffer);
  const dstOff = blockRows * cols;
  const out = new Float64Array(rows);
  for (let r0 = 0; r0 < rows; r0 += blockRows) {
    const n = Math.min(blockRows, rows - r0);
    f32.set(data.subarray(r0 * cols, (r0 + n) * cols), 0);
    fn(0, n, cols, dstOff * 4);
    for (let i = 0; i < n; i++) {
      const v = f32[dstOff + i]!;
      out[r0 + i] = v === v ? v : NaN; // wasm leaves a NaN's sign unspecified; JavaScript's NaN, as Math.max gives it
    }
  }
  return out;
}
