import * as tf from '@tensorflow/tfjs-core';
import { adamKernels, adamRange, HeapAdam, type AdamKernels, type AdamScalars } from './adam-heap.ts';

export interface AdamOptions {
  readonly lr?: number;
  readonly weightDecay?: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
}

/**
 * torch.optim.Adam's hyper-parameters with its defaults, the update count and the per-parameter
 * step counts (torch counts a parameter's steps only when it had a gradient): what Adam and
 * FusedAdam share.
 */
abstract class AdamSchedule {
  readonly lr: number;
  readonly weightDecay: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  private t = 0;
  private readonly steps = new Map<tf.Variable, number>();

  constructor(readonly params: readonly tf.Variable[], o: AdamOptions) {
    this.lr = o.lr ?? 1e-3;
    this.weightDecay = o.weightDecay ?? 0;
    this.beta1 = o.beta1 ?? 0.9;
    this.beta2 = o.beta2 ?? 0.999;
    this.eps = o.eps ?? 1e-8;
    for (const p of params) this.steps.set(p, 0);
  }

  /** Updates taken so far. */
  get step(): number {
    return this.t;
  }

  protected countUpdate(): void {
    this.t += 1;
  }

  /** Advances p's step count t; returns sqrt(1 - beta2^t) and the step -lr / (1 - beta1^t). */
  protected biasCorrections(p: tf.Variable): { readonly bc2: number; readonly negStep: number } {
    const t = this.steps.get(p)! + 1;
    this.steps.set(p, t);
    return { bc2: Math.sqrt(1 - this.beta2 ** t), negStep: -this.lr / (1 - this.beta1 ** t) };
  }

  protected clearSteps(): void {
    this.steps.clear();
  }

  /** Advances p's step count; Adam's tf.scalar constants for its update (float32 roundings of the float64 values). */
  protected scalarsFor(p: tf.Variable): AdamScalars {
    const f = Math.fround;
    const c = this.biasCorrections(p);
    return {
      b1: f(this.beta1), oneMinusB1: f(1 - this.beta1), b2: f(this.beta2), oneMinusB2: f(1 - this.beta2),
      wd: f(this.weightDecay), eps: f(this.eps), decay: this.weightDecay !== 0,
      bc2: f(c.bc2), negStep: f(c.negStep),
    };
  }
}

/**
 * Adam exactly as torch.optim.Adam (amsgrad off, the single-tensor path) computes it, weight
 * decay included as PyTorch's Adam does it (L2 added to the gradient, not decoupled as in AdamW;
 * tfjs's AdamOptimizer has no weight decay at all):
 *
 *   g ← g + wd·p;  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
 *   p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε)
 *
 * in that order of operations, so float32 results track torch's to rounding.
 */
export class Adam extends AdamSchedule {
  private readonly m = new Map<tf.Variable, tf.Tensor>();
  private readonly v = new Map<tf.Variable, tf.Tensor>();

  constructor(params: readonly tf.Variable[], o: AdamOptions = {}) {
    super(params, o);
    for (const p of params) {
      this.m.set(p, tf.zerosLike(p));
      this.v.set(p, tf.zerosLike(p));
    }
  }

  /**
   * One update. `grads` maps each parameter's variable name to its gradient (what
   * tf.variableGrads returns); a parameter without a gradient is left untouched, as torch skips
   * parameters whose .grad is None (its own step count, which sets its bias correction, does not
   * advance either). The gradients are not disposed here.
   */
  update(grads: tf.NamedTensorMap): void {
    this.countUpdate();
    tf.tidy(() => {
      const b1 = tf.scalar(this.beta1);
      const oneMinusB1 = tf.scalar(1 - this.beta1);
      const b2 = tf.scalar(this.beta2);
      const oneMinusB2 = tf.scalar(1 - this.beta2);
      const wd = tf.scalar(this.weightDecay);
      const eps = tf.scalar(this.eps);
      for (const p of this.params) {
        let g = grads[p.name];
        if (!g) continue;
        const c = this.biasCorrections(p);
        const bc2 = tf.scalar(c.bc2);
        const negStep = tf.scalar(c.negStep);
        if (this.weightDecay !== 0) g = tf.add(g, tf.mul(p, wd));
        const m = tf.add(tf.mul(this.m.get(p)!, b1), tf.mul(g, oneMinusB1));
        const v = tf.add(tf.mul(this.v.get(p)!, b2), tf.mul(tf.mul(g, g), oneMinusB2));
        const denom = tf.add(tf.div(tf.sqrt(v), bc2), eps);
        p.assign(tf.add(p, tf.mul(tf.div(m, denom), negStep)));
        this.m.get(p)!.dispose();
        this.v.get(p)!.dispose();
        this.m.set(p, tf.keep(m));
        this.v.set(p, tf.keep(v));
      }
    });
  }

  dispose(): void {
    for (const t of this.m.values()) t.dispose();
    for (const t of this.v.values()) t.dispose();
    this.m.clear();
    this.v.clear();
    this.clearSteps();
  }
}

/**
 * The same update as Adam, bit for bit, as one fused pass per parameter. Adam's ~13 element-wise
 * kernels per parameter each stream the whole tensor through memory (≈150 bytes moved per
 * parameter entry and step, plus 15-25 µs launch overhead per kernel under Bun); the fused pass
 * reads and writes each entry once.
 *  - On the wasm backend (HeapAdam, adam-heap.ts): m and v are float32 tensors in the backend's
 *    memory and one f32x4 pass reads parameter and gradient where they lie, updates m and v in
 *    place and writes the new parameter into a fresh tensor; nothing is copied in or out.
 *  - Elsewhere (cpu, webgpu): the gradient and the parameter are read back, m and v live in
 *    Float32Arrays, the pass runs in JavaScript (adamRange) and the new value is uploaded and
 *    assigned.
 * Both paths round every operation to float32 in Adam's order with Adam's float32 scalars, so the
 * parameters come out identical to Adam's (adam.test.ts, replicas.test.ts). Per-parameter step
 * counts as Adam (torch): a parameter without a gradient is skipped and its step count does not
 * advance. The backend is the one current at construction; updating on another one is refused.
 */
export class FusedAdam extends AdamSchedule {
  private readonly heap = HeapAdam.forCurrentBackend();
  private readonly backendName = tf.getBackend();
  private readonly m = new Map<tf.Variable, Float32Array | tf.Tensor>();
  private readonly v = new Map<tf.Variable, Float32Array | tf.Tensor>();

  constructor(params: readonly tf.Variable[], o: AdamOptions = {}) {
    super(params, o);
    for (const p of params) {
      // kept: a caller's tf.tidy must not free the moments' storage
      this.m.set(p, this.heap ? tf.keep(tf.zeros(p.shape, 'float32')) : new Float32Array(p.size));
      this.v.set(p, this.heap ? tf.keep(tf.zeros(p.shape, 'float32')) : new Float32Array(p.size));
    }
  }

  /** One update, as Adam.update (the gradients are not disposed here). */
  update(grads: tf.NamedTensorMap): void {
    if (tf.getBackend() !== this.backendName || (this.heap && !this.heap.current)) {
      throw new Error(`FusedAdam: made on the ${this.backendName} backend, updated on ${tf.getBackend()}`);
    }
    this.countUpdate();
    for (const p of this.params) {
      const grad = grads[p.name];
      if (!grad) continue;
      const s = this.scalarsFor(p);
      const m = this.m.get(p)!;
      const v = this.v.get(p)!;
      if (this.heap) {
        this.heap.update(p, grad, m as tf.Tensor, v as tf.Tensor, s);
        continue;
      }
      const g = grad.dataSync() as Float32Array;
      const x = p.dataSync() as Float32Array;
      // cpu and webgpu may keep the array they are given as the tensor's storage: a fresh one
      const out = new Float32Array(x.length);
      adamRange(x.length, s, x, 0, g, 0, m as Float32Array, 0, v as Float32Array, 0, out, 0);
      const next = tf.tensor(out, p.shape, 'float32');
      p.assign(next);
      next.dispose();
    }
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) if (!(t instanceof Float32Array)) t.dispose();
    this.m.clear();
    this.v.clear();
    this.clearSteps();
  }
}

/**
 * FusedAdam's update on parameters held outside TF.js (the direct training step, direct/step.ts):
 * the same step counts and float32 scalars, the same f32x4 pass as HeapAdam, in place. The
 * parameters and their moments live in a WebAssembly memory of their own, sized once (so the views
 * `value(p)` hands out stay valid); each gradient is copied in before its pass. Without
 * WebAssembly SIMD the pass is adamRange on plain arrays. Keyed by the model's variables, so a
 * parameter's bias correction is counted exactly as FusedAdam counts it; a parameter without a
 * gradient is skipped.
 */
export class ArrayAdam extends AdamSchedule {
  private readonly slots = new Map<tf.Variable, { readonly x: number; readonly m: number; readonly v: number }>();
  private readonly heap: Float32Array;
  private readonly kernels: AdamKernels | undefined;
  private readonly gradient: number;

  /** `initial` gives each parameter's starting values (copied). */
  constructor(params: readonly tf.Variable[], initial: ReadonlyMap<tf.Variable, Float32Array>, o: AdamOptions = {}) {
    super(params, o);
    const round4 = (n: number) => Math.ceil(n / 4) * 4; // 16-byte aligned regions
    let floats = 0;
    for (const p of params) {
      const n = round4(p.size);
      this.slots.set(p, { x: floats, m: floats + n, v: floats + 2 * n });
      floats += 3 * n;
    }
    this.gradient = floats;
    floats += round4(Math.max(0, ...params.map((p) => p.size)));
    const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil((floats * 4) / 65536)) });
    this.kernels = adamKernels(memory);
    this.heap = new Float32Array(memory.buffer);
    for (const p of params) this.heap.set(initial.get(p)!.subarray(0, p.size), this.slots.get(p)!.x);
  }

  /** The parameter's current values (a view, updated in place by `update`). */
  value(p: tf.Variable): Float32Array {
    const at = this.slots.get(p)!.x;
    return this.heap.subarray(at, at + p.size);
  }

  /** One update from `grads` (a parameter without one is left as it is). */
  update(grads: ReadonlyMap<tf.Variable, Float32Array>): void {
    this.countUpdate();
    const heap = this.heap;
    for (const p of this.params) {
      const g = grads.get(p);
      if (!g) continue;
      const s = this.scalarsFor(p);
      const at = this.slots.get(p)!;
      const n = p.size;
      heap.set(g.subarray(0, n), this.gradient);
      const done = this.kernels ? (n >>> 2) * 4 : 0;
      if (this.kernels) {
        const b = (floats: number) => floats * 4;
        (s.decay ? this.kernels.adam : this.kernels.adamPlain)(b(at.x), b(this.gradient), b(at.m), b(at.v), b(at.x), n >>> 2, s.b1, s.oneMinusB1, s.b2, s.oneMinusB2, s.wd, s.eps, s.bc2, s.negStep);
      }
      // the last 1-3 entries (or all, without SIMD) with the same float32 operations
      adamRange(n - done, s, heap, at.x + done, heap, this.gradient + done, heap, at.m + done, heap, at.v + done, heap, at.x + done);
    }
  }
}
