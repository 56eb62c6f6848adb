/**
 * Adam's update on the TF.js WebAssembly backend's own memory: one SIMD (f32x4) pass per parameter
 * over its value, its gradient and its moments, with no read-back and no upload.
 *
 * Why: FusedAdam's JavaScript pass needs the parameter and the gradient copied out of the wasm heap
 * (dataSync) and the new value copied back in (tf.tensor + assign). At the MultiOOD model's widths
 * those copies and the scalar loop cost 7-10 ms of a 21 ms A2D step (bench/training.ts). Here a
 * small module, assembled at start-up like methods/compute's kernels, imports the backend's
 * WebAssembly.Memory and works on the values where they lie. m and v are updated in place; the new
 * parameter goes to a fresh tensor that the variable is then assigned. It must: the backend's
 * XNNPACK matrix products cache each weight matrix packed, by tensor id, until that tensor is
 * disposed, so a parameter changed in place under its old id would be multiplied stale (measured:
 * the second step's gradients differed).
 *
 * Exported (byte addresses into the imported memory `env.mem`; n4 = groups of 4 floats):
 *   adam(x, g, m, v, out, n4, b1, 1-b1, b2, 1-b2, wd, eps, bc2, negStep)   weight decay on
 *   adamPlain(same)                                                        weight decay off
 *
 * Arithmetic: per entry exactly FusedAdam's sequence of float32 operations (f32x4 mul, add, div
 * and sqrt are IEEE single-precision and correctly rounded, as Math.fround of the float64 result
 * is), so the parameters come out bitwise equal to Adam's and FusedAdam's (adam.test.ts). Two
 * functions rather than a flag: `g + x·0` is not `g` for g = -0 or x = ±∞.
 */
import * as tf from '@tensorflow/tfjs-core';
import { emitter, F32, I32, lazyModule, V128, wasmModule } from '../compute/wasm-encoding.ts';
import { wasmHeap, type WasmHeap } from './wasm-heap.ts';

const OP = {
  block: 0x02, loop: 0x03, end: 0x0b, brIf: 0x0d,
  i32Eqz: 0x45, i32Add: 0x6a, i32Sub: 0x6b,
} as const;
const SIMD = { load: 0x00, store: 0x0b, f32x4Splat: 0x13, f32x4Sqrt: 0xe3, f32x4Add: 0xe4, f32x4Mul: 0xe6, f32x4Div: 0xe7 } as const;

/** One function body: `decay` adds x·wd to the gradient first. */
function adamCode(decay: boolean): number[] {
  const P = { x: 0, g: 1, m: 2, v: 3, out: 4, n4: 5, scalars: 6 };
  // v128 locals: the 8 scalars splatted, then xi, gi, mi, vi
  const S = { b1: 14, omb1: 15, b2: 16, omb2: 17, wd: 18, eps: 19, bc2: 20, negStep: 21 };
  const L = { xi: 22, gi: 23, mi: 24, vi: 25 };
  const { c, get, set, tee, i32, simd } = emitter();
  const load = (ptr: number) => { get(ptr); simd(SIMD.load); c.push(0, 0); }; // align hint 1: any address
  const storeOp = () => { simd(SIMD.store); c.push(0, 0); };
  const bump = (ptr: number) => { get(ptr); i32(16); c.push(OP.i32Add); set(ptr); };

  for (let s = 0; s < 8; s++) { get(P.scalars + s); simd(SIMD.f32x4Splat); set(S.b1 + s); }
  c.push(OP.block, 0x40);
  get(P.n4); c.push(OP.i32Eqz, OP.brIf, 0);
  c.push(OP.loop, 0x40);
  load(P.x); set(L.xi);
  load(P.g);
  if (decay) { get(L.xi); get(S.wd); simd(SIMD.f32x4Mul); simd(SIMD.f32x4Add); }
  set(L.gi);
  // m ← m·b1 + g·(1-b1)
  get(P.m);
  load(P.m); get(S.b1); simd(SIMD.f32x4Mul);
  get(L.gi); get(S.omb1); simd(SIMD.f32x4Mul);
  simd(SIMD.f32x4Add); tee(L.mi); storeOp();
  // v ← v·b2 + (g·g)·(1-b2)
  get(P.v);
  load(P.v); get(S.b2); simd(SIMD.f32x4Mul);
  get(L.gi); get(L.gi); simd(SIMD.f32x4Mul); get(S.omb2); simd(SIMD.f32x4Mul);
  simd(SIMD.f32x4Add); tee(L.vi); storeOp();
  // out ← x + (m / (√v / bc2 + eps))·negStep
  get(P.out);
  get(L.xi);
  get(L.mi);
  get(L.vi); simd(SIMD.f32x4Sqrt); get(S.bc2); simd(SIMD.f32x4Div); get(S.eps); simd(SIMD.f32x4Add);
  simd(SIMD.f32x4Div); get(S.negStep); simd(SIMD.f32x4Mul);
  simd(SIMD.f32x4Add); storeOp();
  bump(P.x); bump(P.g); bump(P.m); bump(P.v); bump(P.out);
  get(P.n4); i32(1); c.push(OP.i32Sub); tee(P.n4);
  c.push(OP.brIf, 0);
  c.push(OP.end); // loop
  c.push(OP.end); // block
  c.push(OP.end); // function
  return c;
}

/** The module's bytes (exported for the encoding test). */
export function adamModuleBytes(): Uint8Array {
  const params = [I32, I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32, F32];
  return wasmModule([
    { name: 'adam', params, locals: [[12, V128]], code: adamCode(true) },
    { name: 'adamPlain', params, locals: [[12, V128]], code: adamCode(false) },
  ]);
}

export type AdamFn = (x: number, g: number, m: number, v: number, out: number, n4: number, b1: number, omb1: number, b2: number, omb2: number, wd: number, eps: number, bc2: number, negStep: number) => void;

export interface AdamKernels {
  readonly adam: AdamFn;
  readonly adamPlain: AdamFn;
}

const adamModule = lazyModule(adamModuleBytes);

/** The module (compiled once) instantiated on `memory`, or undefined without SIMD (or on a shared memory it does not declare). */
export function adamKernels(memory: WebAssembly.Memory): AdamKernels | undefined {
  const compiled = adamModule();
  if (!compiled) return undefined;
  try {
    return new WebAssembly.Instance(compiled, { env: { mem: memory } }).exports as unknown as AdamKernels;
  } catch {
    return undefined;
  }
}

/** Adam's hyper-parameters for one parameter's update, already rounded to float32. */
export interface AdamScalars {
  readonly b1: number;
  readonly oneMinusB1: number;
  readonly b2: number;
  readonly oneMinusB2: number;
  readonly wd: number;
  readonly eps: number;
  readonly bc2: number;
  readonly negStep: number;
  readonly decay: boolean;
}

/**
 * In-place Adam for the current TF.js backend, or undefined when it is not the wasm backend, its
 * memory is not reachable, or this engine lacks WebAssembly SIMD (FusedAdam then uses its
 * JavaScript pass).
 */
export class HeapAdam {
  private static readonly kernels = new WeakMap<WebAssembly.Memory, { adam: AdamFn; adamPlain: AdamFn }>();

  private constructor(
    private readonly heap: WasmHeap,
    private readonly kernel: { adam: AdamFn; adamPlain: AdamFn },
  ) {}

  static forCurrentBackend(): HeapAdam | undefined {
    const heap = wasmHeap();
    if (!heap) return undefined;
    let kernel = HeapAdam.kernels.get(heap.memory);
    if (!kernel) {
      kernel = adamKernels(heap.memory);
      if (!kernel) return undefined;
      HeapAdam.kernels.set(heap.memory, kernel);
    }
    return new HeapAdam(heap, kernel);
  }

  /** Whether the backend still is the one this was made for. */
  get current(): boolean {
    return tf.getBackend() === 'wasm' && (tf.backend() as unknown) === this.heap.backend;
  }

  /** p ← Adam(p, g), m and v (float32 tensors of p's size, owned by the caller) updated in place. */
  update(p: tf.Variable, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, s: AdamScalars): void {
    const n = p.size;
    if (g.size !== n || m.size !== n || v.size !== n) throw new Error(`HeapAdam: sizes ${p.size}/${g.size}/${m.size}/${v.size} differ`);
    const out = this.heap.backend.makeOutput([...p.shape], 'float32');
    const [xOff, gOff, mOff, vOff, oOff] = [p, g, m, v, out].map((t) => this.heap.offsetOf(t)) as [number, number, number, number, number];
    const n4 = n >>> 2;
    (s.decay ? this.kernel.adam : this.kernel.adamPlain)(xOff, gOff, mOff, vOff, oOff, n4, s.b1, s.oneMinusB1, s.b2, s.oneMinusB2, s.wd, s.eps, s.bc2, s.negStep);
    if (n4 * 4 < n) {
      // the last 1-3 entries, in JavaScript with the same float32 operations
      const heap = new Float32Array(this.heap.memory.buffer);
      const at = (off: number) => (off >>> 2) + n4 * 4;
      adamRange(n - n4 * 4, s, heap, at(xOff), heap, at(gOff), heap, at(mOff), heap, at(vOff), heap, at(oOff));
    }
    const next = tf.engine().makeTensorFromTensorInfo(out);
    p.assign(next);
    next.dispose();
  }
}

/**
 * Adam on n entries in JavaScript, every operation rounded to float32 (Math.fround) in Adam's
 * order: x[xo+i], g[go+i] in; m[mo+i], v[vo+i] updated; the new value to out[oo+i] (may be x).
 * For +, -, ·, / and √, rounding the float64 result of float32 operands gives the correctly
 * rounded float32 result, which is what TF.js's kernels and the f32x4 instructions compute.
 */
export function adamRange(
  n: number, s: AdamScalars,
  x: Float32Array, xo: number, g: Float32Array, go: number,
  m: Float32Array, mo: number, v: Float32Array, vo: number,
  out: Float32Array, oo: number,
): void {
  const f = Math.fround;
  const { b1, oneMinusB1, b2, oneMinusB2, wd, eps, bc2, negStep, decay } = s;
  for (let i = 0; i < n; i++) {
    const xi = x[xo + i]!;
    const gi = decay ? f(g[go + i]! + f(xi * wd)) : g[go + i]!;
    const mi = f(f(m[mo + i]! * b1) + f(gi * oneMinusB1));
    const vi = f(f(v[vo + i]! * b2) + f(f(gi * gi) * oneMinusB2));
    const denom = f(f(f(Math.sqrt(vi)) / bc2) + eps);
    m[mo + i] = mi;
    v[vo + i] = vi;
    out[oo + i] = f(xi + f(f(mi / denom) * negStep));
  }
}
