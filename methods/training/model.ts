import * as tf from '@tensorflow/tfjs-core';
import { matrix } from '../linalg/matrix.ts';
import type { FusedHead, ModalitySlice } from '../outputs.ts';
import type { Random } from '../random.ts';
import { dense, linear } from './dense.ts';

/**
 * The MultiOOD model on per-modality inputs (docs/multiood-facts.md §5): an encoder g_k per modality giving
 * the embedding Z^k, a linear head h_k per modality on Z^k, and a fused linear head h on
 * Z = [Z^1 .. Z^M]. Dropout (training only) acts on each Z^k, so the heads, the fused head and the
 * NP-Mix queues all see the dropped embedding, as upstream's cls_head did.
 *
 * The fused head's weight is stored as one [D_k, C] block per modality, so the fused logits are
 * Σ_k Z^k·W_k + b (the same as [Z^1..Z^M]·W + b) and no concatenation runs in the training step;
 * `fusedHead()` assembles the usual C x D matrix.
 */

export const ENCODER_KINDS = ['identity', 'adapter', 'mlp'] as const;
export type EncoderKind = (typeof ENCODER_KINDS)[number];

/**
 * The per-modality encoder g_k:
 * - 'identity': Z^k = the input (ready-made embeddings; nothing below the heads trains);
 * - 'adapter': Z^k = ReLU(x + ReLU(x·A)·B), A d_k x rank, B rank x d_k starting at zero: the
 *   stand-in for upstream's fine-tuned last backbone block on frozen embeddings. It keeps the
 *   width (the scorers work in the backbone's feature space), starts as the identity on
 *   non-negative inputs (pooled post-ReLU features), stays non-negative (ReAct and ASH assume
 *   it) and is shared by the modality's head and its block of the fused head, so recipe terms
 *   on the unimodal heads reshape the fused model's features;
 * - 'mlp': Z^k = ReLU(Linear(d_k, hidden)(x)), for raw hand-made features.
 */
export interface EncoderSpec {
  readonly kind: EncoderKind;
  /** Width of the MLP encoder's output (the embedding); used by 'mlp' only. */
  readonly hidden: number;
  /** Rank of the adapter's residual branch; used by 'adapter' only. */
  readonly rank?: number;
}

export interface ModelSpec {
  readonly modalities: readonly { readonly name: string; readonly dim: number }[];
  readonly numClasses: number;
  readonly encoder: EncoderSpec;
}

export interface ModelOptions {
  /** Use tf's own matMul gradients instead of the explicit-transpose dense layer (benchmarks). */
  readonly builtinGradient?: boolean;
}

export interface LinearParams {
  readonly w: tf.Variable<tf.Rank.R2>;
  readonly b: tf.Variable<tf.Rank.R1>;
}

/** The adapter's residual branch: down-projection A (d x r) and up-projection B (r x d, zero at start). */
export interface AdapterParams {
  readonly a: tf.Variable<tf.Rank.R2>;
  readonly b: tf.Variable<tf.Rank.R2>;
}

export interface ForwardResult {
  /** Fused-head logits, B x C. */
  readonly fused: tf.Tensor2D;
  /** Per-modality head logits, in modality order, B x C each (empty when not asked for). */
  readonly unimodal: tf.Tensor2D[];
  /** Per-modality embeddings Z^k (after dropout when masks were given), B x D_k each. */
  readonly z: tf.Tensor2D[];
}

/** U(-1/sqrt(fanIn), 1/sqrt(fanIn)) as torch.nn.Linear initialises both weight and bias. */
function uniformInit(rng: Random, size: number, fanIn: number): Float32Array {
  const bound = 1 / Math.sqrt(fanIn);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = (rng.uniform() * 2 - 1) * bound;
  return out;
}

/** A variable holding `values`; the temporary tensor is freed (tf.variable(tensor) would leak it). */
function variableOf<R extends tf.Rank>(values: Float32Array, shape: number[]): tf.Variable<R> {
  const t = tf.tensor(values, shape);
  const v = tf.variable(t) as tf.Variable<R>;
  t.dispose();
  return v;
}

function linearParams(rng: Random, fanIn: number, rows: number, cols: number): LinearParams {
  const w = variableOf<tf.Rank.R2>(uniformInit(rng, rows * cols, fanIn), [rows, cols]);
  const b = variableOf<tf.Rank.R1>(uniformInit(rng, cols, fanIn), [cols]);
  return { w, b };
}

export class MultimodalModel {
  readonly spec: ModelSpec;
  /** Embedding width D_k of each modality. */
  readonly embedDims: readonly number[];
  readonly embedDim: number;
  private readonly encoders: (LinearParams | undefined)[];
  private readonly adapters: (AdapterParams | undefined)[];
  private readonly heads: LinearParams[];
  private readonly fusedW: tf.Variable<tf.Rank.R2>[];
  private readonly fusedB: tf.Variable<tf.Rank.R1>;
  private readonly builtin: boolean;

  /** Draws every initial weight from `rng`: encoders, then unimodal heads, then the fused head. */
  constructor(spec: ModelSpec, rng: Random, o: ModelOptions = {}) {
    if (spec.modalities.length < 1) throw new Error('MultimodalModel: at least one modality is needed');
    if (!(spec.numClasses >= 2)) throw new Error(`MultimodalModel: ${spec.numClasses} classes, need at least 2`);
    if (spec.encoder.kind === 'mlp' && !(Number.isInteger(spec.encoder.hidden) && spec.encoder.hidden > 0)) {
      throw new Error(`MultimodalModel: encoder width ${spec.encoder.hidden} is not a positive integer`);
    }
    const rank = spec.encoder.rank ?? 0;
    if (spec.encoder.kind === 'adapter' && !(Number.isInteger(rank) && rank > 0)) {
      throw new Error(`MultimodalModel: adapter rank ${spec.encoder.rank} is not a positive integer`);
    }
    this.spec = spec;
    this.builtin = o.builtinGradient ?? false;
    const C = spec.numClasses;
    this.encoders = spec.modalities.map((m) => (spec.encoder.kind === 'mlp' ? linearParams(rng, m.dim, m.dim, spec.encoder.hidden) : undefined));
    // A as torch.nn.Linear(d, r, bias=False) would draw it; B = 0, so the block starts as ReLU(x).
    this.adapters = spec.modalities.map((m) =>
      spec.encoder.kind === 'adapter'
        ? { a: variableOf<tf.Rank.R2>(uniformInit(rng, m.dim * rank, m.dim), [m.dim, rank]), b: variableOf<tf.Rank.R2>(new Float32Array(rank * m.dim), [rank, m.dim]) }
        : undefined,
    );
    this.embedDims = spec.modalities.map((m) => (spec.encoder.kind === 'mlp' ? spec.encoder.hidden : m.dim));
    this.embedDim = this.embedDims.reduce((s, d) => s + d, 0);
    this.heads = this.embedDims.map((d) => linearParams(rng, d, d, C));
    // One Linear(D, C), drawn as torch would (fan-in D for every entry), stored per modality.
    const D = this.embedDim;
    this.fusedW = this.embedDims.map((d) => variableOf<tf.Rank.R2>(uniformInit(rng, d * C, D), [d, C]));
    this.fusedB = variableOf<tf.Rank.R1>(uniformInit(rng, C, D), [C]);
  }

  get numClasses(): number {
    return this.spec.numClasses;
  }

  /** Every trainable variable, in a fixed order. */
  get variables(): tf.Variable[] {
    const out: tf.Variable[] = [];
    for (const e of this.encoders) if (e) out.push(e.w, e.b);
    for (const a of this.adapters) if (a) out.push(a.a, a.b);
    for (const h of this.heads) out.push(h.w, h.b);
    out.push(...this.fusedW, this.fusedB);
    return out;
  }

  /** The variables by role, for code that runs the model's arithmetic itself (direct/step.ts). */
  get layout(): {
    readonly encoders: readonly (LinearParams | undefined)[];
    readonly adapters: readonly (AdapterParams | undefined)[];
    readonly heads: readonly LinearParams[];
    readonly fusedW: readonly tf.Variable<tf.Rank.R2>[];
    readonly fusedB: tf.Variable<tf.Rank.R1>;
  } {
    return { encoders: this.encoders, adapters: this.adapters, heads: this.heads, fusedW: this.fusedW, fusedB: this.fusedB };
  }

  /** Column slices of Z, by modality name. */
  get slices(): ModalitySlice[] {
    let start = 0;
    return this.spec.modalities.map((m, k) => ({ name: m.name, start, end: (start += this.embedDims[k]!) }));
  }

  /**
   * The forward pass. `inputs[k]` is modality k's B x d_k input; `masks[k]`, when given, is the
   * inverted-dropout mask (0 or 1/(1-p)) multiplied into Z^k. For identity encoders the caller may
   * equally pass inputs that are already masked (cheaper: no mask tensor).
   */
  forward(inputs: readonly tf.Tensor2D[], masks?: readonly (tf.Tensor2D | undefined)[], o: { unimodal?: boolean } = {}): ForwardResult {
    if (inputs.length !== this.spec.modalities.length) {
      throw new Error(`forward: ${inputs.length} inputs for ${this.spec.modalities.length} modalities`);
    }
    const z = inputs.map((x, k) => {
      const enc = this.encoders[k];
      const adapter = this.adapters[k];
      const data = { inputGrad: false, builtinGradient: this.builtin };
      let h: tf.Tensor2D = enc
        ? tf.relu(dense(x, enc.w, enc.b, data))
        : adapter
          ? tf.relu(tf.add(x, linear(tf.relu(linear(x, adapter.a, data)), adapter.b, { inputGrad: true, builtinGradient: this.builtin })) as tf.Tensor2D)
          : x;
      const mask = masks?.[k];
      if (mask) h = tf.mul(h, mask) as tf.Tensor2D;
      return h;
    });
    // Z^k needs a gradient only when an encoder sits below it.
    const inputGrad = this.spec.encoder.kind !== 'identity';
    const opts = { inputGrad, builtinGradient: this.builtin };
    // Recipes whose loss ignores the unimodal heads skip them (o.unimodal = false): no work, no gradient.
    const unimodal = o.unimodal === false ? [] : z.map((zk, k) => dense(zk, this.heads[k]!.w, this.heads[k]!.b, opts));
    const parts = z.map((zk, k) => linear(zk, this.fusedW[k]!, opts));
    const fused = tf.add(parts.length === 1 ? parts[0]! : tf.addN(parts), this.fusedB) as tf.Tensor2D;
    return { fused, unimodal, z };
  }

  /** The unimodal heads alone on given embeddings (NP-Mix outliers: no encoder, no fused head). */
  unimodalLogits(z: readonly tf.Tensor2D[]): tf.Tensor2D[] {
    return z.map((zk, k) => dense(zk, this.heads[k]!.w, this.heads[k]!.b, { inputGrad: false, builtinGradient: this.builtin }));
  }

  /** A copy of every parameter (kept until disposed); `restore` puts it back. */
  snapshot(): tf.Tensor[] {
    return this.variables.map((v) => tf.clone(v));
  }

  restore(snapshot: readonly tf.Tensor[]): void {
    const vars = this.variables;
    if (snapshot.length !== vars.length) throw new Error('restore: snapshot of another model');
    vars.forEach((v, i) => v.assign(snapshot[i]!));
  }

  /** The fused head as the Outputs carry it: W (C x D) and b, float64. */
  fusedHead(): FusedHead {
    const C = this.numClasses;
    const D = this.embedDim;
    const weight = matrix(C, D);
    let offset = 0;
    this.fusedW.forEach((w, k) => {
      const d = this.embedDims[k]!;
      const data = w.dataSync();
      for (let i = 0; i < d; i++) {
        for (let c = 0; c < C; c++) weight.data[c * D + offset + i] = data[i * C + c]!;
      }
      offset += d;
    });
    return { weight, bias: Float64Array.from(this.fusedB.dataSync()) };
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}
