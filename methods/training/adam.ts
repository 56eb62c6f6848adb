import * as tf from '@tensorflow/tfjs-core';

export interface AdamOptions {
  readonly lr?: number;
  readonly weightDecay?: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
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
export class Adam {
  readonly lr: number;
  readonly weightDecay: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  private t = 0;
  /** Per-parameter step counts: torch counts a parameter's steps only when it had a gradient. */
  private readonly steps = new Map<tf.Variable, number>();
  private readonly m = new Map<tf.Variable, tf.Tensor>();
  private readonly v = new Map<tf.Variable, tf.Tensor>();

  constructor(readonly params: readonly tf.Variable[], o: AdamOptions = {}) {
    this.lr = o.lr ?? 1e-3;
    this.weightDecay = o.weightDecay ?? 0;
    this.beta1 = o.beta1 ?? 0.9;
    this.beta2 = o.beta2 ?? 0.999;
    this.eps = o.eps ?? 1e-8;
    for (const p of params) {
      this.m.set(p, tf.zerosLike(p));
      this.v.set(p, tf.zerosLike(p));
      this.steps.set(p, 0);
    }
  }

  /** Updates taken so far. */
  get step(): number {
    return this.t;
  }

  /**
   * One update. `grads` maps each parameter's variable name to its gradient (what
   * tf.variableGrads returns); a parameter without a gradient is left untouched, as torch skips
   * parameters whose .grad is None (its own step count, which sets its bias correction, does not
   * advance either). The gradients are not disposed here.
   */
  update(grads: tf.NamedTensorMap): void {
    this.t += 1;
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
        const t = this.steps.get(p)! + 1;
        this.steps.set(p, t);
        const bc2 = tf.scalar(Math.sqrt(1 - this.beta2 ** t));
        const negStep = tf.scalar(-this.lr / (1 - this.beta1 ** t));
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
    this.steps.clear();
  }
}

/**
 * The same update as Adam, bit for bit, with the element-wise arithmetic of every parameter done
 * in one pass over their concatenation: each update runs ~12 kernels over one flat vector instead
 * of ~13 per parameter (under Bun a TF.js kernel costs 15-25 µs whatever its size, so the
 * optimiser of a 11-parameter model, or of several replicas trained together, was mostly launch
 * overhead). The flat m and v persist; the new values are sliced back into the variables.
 *
 * Every step must give a gradient to exactly the parameters it gave one to on the first step
 * (their step counts then stay equal, so one bias correction serves all): the trainers pass here
 * only the parameters that get a gradient on every step and keep the others on an `Adam`.
 * Element-wise float32 operations do not depend on the layout, so the parameters come out
 * identical to `Adam`'s (adam.test.ts checks this bitwise).
 */
export class FlatAdam {
  readonly lr: number;
  readonly weightDecay: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  private t = 0;
  private m: tf.Tensor1D | undefined;
  private v: tf.Tensor1D | undefined;
  private readonly sizes: number[];
  private readonly total: number;

  constructor(readonly params: readonly tf.Variable[], o: AdamOptions = {}) {
    this.lr = o.lr ?? 1e-3;
    this.weightDecay = o.weightDecay ?? 0;
    this.beta1 = o.beta1 ?? 0.9;
    this.beta2 = o.beta2 ?? 0.999;
    this.eps = o.eps ?? 1e-8;
    this.sizes = params.map((p) => p.size);
    this.total = this.sizes.reduce((s, n) => s + n, 0);
    if (params.length > 0) {
      this.m = tf.zeros([this.total]);
      this.v = tf.zeros([this.total]);
    }
  }

  get step(): number {
    return this.t;
  }

  /** One update; every parameter must have its gradient in `grads` (not disposed here). */
  update(grads: tf.NamedTensorMap): void {
    if (this.params.length === 0) return;
    const gs = this.params.map((p) => {
      const g = grads[p.name];
      if (!g) throw new Error(`FlatAdam: no gradient for ${p.name}; pass only parameters that get one on every step`);
      return g;
    });
    this.t += 1;
    const t = this.t;
    const [m, v] = tf.tidy(() => {
      const flat = (xs: readonly tf.Tensor[]) => (xs.length === 1 ? tf.reshape(xs[0]!, [-1]) : tf.concat(xs.map((x) => tf.reshape(x, [-1]))));
      const p = flat(this.params);
      let g = flat(gs);
      // the same operations, operands and order as Adam.update
      if (this.weightDecay !== 0) g = tf.add(g, tf.mul(p, tf.scalar(this.weightDecay)));
      const m = tf.add(tf.mul(this.m!, tf.scalar(this.beta1)), tf.mul(g, tf.scalar(1 - this.beta1)));
      const v = tf.add(tf.mul(this.v!, tf.scalar(this.beta2)), tf.mul(tf.mul(g, g), tf.scalar(1 - this.beta2)));
      const denom = tf.add(tf.div(tf.sqrt(v), tf.scalar(Math.sqrt(1 - this.beta2 ** t))), tf.scalar(this.eps));
      const next = tf.add(p, tf.mul(tf.div(m, denom), tf.scalar(-this.lr / (1 - this.beta1 ** t))));
      let offset = 0;
      this.params.forEach((param, i) => {
        const n = this.sizes[i]!;
        param.assign(this.params.length === 1 ? tf.reshape(next, param.shape) : tf.reshape(tf.slice(next, [offset], [n]), param.shape));
        offset += n;
      });
      return [tf.keep(m), tf.keep(v)] as [tf.Tensor1D, tf.Tensor1D];
    });
    this.m!.dispose();
    this.v!.dispose();
    this.m = m;
    this.v = v;
  }

  dispose(): void {
    this.m?.dispose();
    this.v?.dispose();
    this.m = undefined;
    this.v = undefined;
  }
}
