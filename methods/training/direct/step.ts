import * as tf from '@tensorflow/tfjs-core';
import { ArrayAdam } from '../adam.ts';
import { ArrayProducts } from '../heap-matmul.ts';
import { A2D_TERM, allFull, joinColumns, OUTLIER_TERM, splitColumns, type LossTermDefinition, type StepState } from '../loss-terms.ts';
import { ENTROPY_EPS, HELLINGER_CLAMP, LOGIT_NORM_EPS, slotsBeforeLabel, type AnyDistance } from '../losses.ts';
import type { MultimodalModel } from '../model.ts';
import { synthesizeOutliers } from '../outlier-synthesis.ts';
import type { TrainingConfig } from '../recipe.ts';
import { BackendKernels, Ops } from './ops.ts';
import type { DTensor } from './tape.ts';
import { Tape } from './tape.ts';

/**
 * The training step of train.ts without TF.js's engine, on the wasm backend: the same forward
 * pass, losses, back-propagation and Adam update, computed on Float32Arrays by ops.ts and tape.ts,
 * giving the same parameters bit for bit (direct.test.ts trains every supported recipe both ways
 * and compares every parameter, loss and prediction). Why: at batch 16 a step of TF.js operations
 * costs its engine's bookkeeping, not arithmetic (an A2D step of the three-modality synthetic
 * benchmark: 495 kernels, 1.4 ms inside them, 5.2 ms in all); here the step does the arithmetic
 * alone.
 *
 * What it covers: every encoder (identity, adapter, MLP), cross-entropy or LogitNorm
 * classification (fused head, or fused + unimodal heads), the A2D term and the outlier term (any
 * synthesis) with the Hellinger, L1 or L2 distance or upstream's L1 and L2. Anything else (the
 * Wasserstein distances, a recipe's own loss terms, another backend) is refused with the reason
 * by `DirectStep.unsupported`, and train.ts runs TF.js's step. The losses here mirror losses.ts operation for operation: a change there
 * must be made here too, and direct.test.ts fails until it is.
 *
 * The parameters live here between epochs' ends: `writeBack` copies them into the model's
 * variables, where evaluation, snapshots and outputs read them.
 */

/** One training batch as arrays (BatchBuilder.nextArrays): identity-encoder inputs come already masked. */
export interface BatchArrays {
  readonly inputs: readonly Float32Array[];
  /** Trainable encoders: each embedding's inverted-dropout mask (undefined: no dropout there). */
  readonly masks?: readonly (Float32Array | undefined)[];
  readonly labels: Int32Array;
}

export interface DirectStepResult {
  /** [total loss, ...lossTerms(cfg)] of this step (before the update). */
  readonly stats: Float32Array;
  /** Fused-head predictions on the batch (training mode). */
  readonly preds: Int32Array;
  readonly synthesised: boolean;
}

const DISTANCES: readonly AnyDistance[] = ['hellinger', 'l1', 'l2', 'upstream-l1', 'upstream-l2'];

export class DirectStep {
  private readonly values = new Map<tf.Variable, Float32Array>();
  private readonly adam: ArrayAdam;

  private constructor(
    private readonly model: MultimodalModel,
    private readonly cfg: TrainingConfig,
    private readonly terms: readonly LossTermDefinition[],
    private readonly kernels: BackendKernels,
    private readonly products: ArrayProducts,
  ) {
    const initial = new Map(model.variables.map((v) => [v, v.dataSync() as Float32Array] as const));
    this.adam = new ArrayAdam(model.variables, initial, { lr: cfg.lr, weightDecay: cfg.weightDecay });
    for (const v of model.variables) this.values.set(v, this.adam.value(v));
  }

  /** Why this model and config cannot train here (undefined: they can). */
  static unsupported(model: MultimodalModel, cfg: TrainingConfig, terms: readonly LossTermDefinition[]): string | undefined {
    if (tf.getBackend() !== 'wasm') return `backend ${tf.getBackend()} (the direct step reproduces the wasm backend)`;
    for (const t of terms) if (t !== A2D_TERM && t !== OUTLIER_TERM) return `loss term ${t.names.join('/')}`;
    if (cfg.a2d && !DISTANCES.includes(cfg.a2d.distance)) return `distance ${cfg.a2d.distance}`;
    if (cfg.synthesis && !DISTANCES.includes(cfg.synthesis.distance)) return `distance ${cfg.synthesis.distance}`;
    return undefined;
  }

  /** The direct step for this model, or undefined where it is unsupported or the engine lacks WebAssembly SIMD. */
  static create(model: MultimodalModel, cfg: TrainingConfig, terms: readonly LossTermDefinition[]): DirectStep | undefined {
    if (DirectStep.unsupported(model, cfg, terms) !== undefined) return undefined;
    const kernels = BackendKernels.current();
    const products = ArrayProducts.create();
    return kernels && products ? new DirectStep(model, cfg, terms, kernels, products) : undefined;
  }

  /** Copies the parameters into the model's variables. */
  writeBack(): void {
    for (const [v, values] of this.values) {
      const t = tf.tensor(values, v.shape, 'float32');
      v.assign(t);
      t.dispose();
    }
  }

  /** One step: forward, losses, gradients, Adam. */
  step(batch: BatchArrays, state: StepState): DirectStepResult {
    const { model, cfg } = this;
    const tape = new Tape();
    const ops = new Ops(tape, this.kernels, this.products);
    const params = new Map<tf.Variable, DTensor>();
    const P = (v: tf.Variable): DTensor => {
      let t = params.get(v);
      if (!t) params.set(v, (t = tape.parameter(v.shape, this.values.get(v)!)));
      return t;
    };
    const layout = model.layout;
    const B = batch.labels.length;
    const C = model.numClasses;
    const embedDims = model.embedDims;
    const identity = model.spec.encoder.kind === 'identity';

    // model.forward
    const z = batch.inputs.map((x, k) => {
      const input = ops.constant([B, x.length / B], x);
      const enc = layout.encoders[k];
      const adapter = layout.adapters[k];
      let h = enc
        ? ops.relu(ops.dense(input, P(enc.w), P(enc.b), false))
        : adapter
          ? ops.relu(ops.add(input, ops.dense(ops.relu(ops.dense(input, P(adapter.a), undefined, false)), P(adapter.b), undefined, true)))
          : input;
      const mask = identity ? undefined : batch.masks?.[k];
      if (mask) h = ops.mul(h, ops.constant([B, embedDims[k]!], mask));
      return h;
    });
    const inputGrad = !identity;
    const needUnimodal = cfg.classification.perModality || this.terms.some((t) => t.usesUnimodalLogits);
    const unimodal = needUnimodal ? z.map((zk, k) => ops.dense(zk, P(layout.heads[k]!.w), P(layout.heads[k]!.b), inputGrad)) : [];
    const parts = z.map((zk, k) => ops.dense(zk, P(layout.fusedW[k]!), undefined, inputGrad));
    const fused = ops.add(parts.length === 1 ? parts[0]! : ops.addN(parts), P(layout.fusedB));

    // classificationLoss
    const oneHot = new Float32Array(B * C);
    for (let r = 0; r < B; r++) oneHot[r * C + batch.labels[r]!] = 1;
    const ce = (logits: DTensor) => {
      const x = cfg.classification.logitNorm ? logitNormalize(ops, logits, cfg.classification.tau) : logits;
      return ops.mean(ops.neg(ops.sum(ops.mul(ops.constant([B, C], oneHot), ops.logSoftmax(x)), 1)));
    };
    let cls = ce(fused);
    if (cfg.classification.perModality) {
      let total = cls;
      for (const h of unimodal) total = ops.add(total, ce(h));
      cls = ops.div(total, ops.scalar(unimodal.length + 1));
    }
    const reported: DTensor[] = [cls];
    let loss = cls;
    let synthesised = false;

    for (const term of this.terms) {
      if (term === A2D_TERM) {
        const a2d = cfg.a2d!;
        const d = negPairwise(ops, unimodal.map((h) => ops.softmax(dropTrueClass(ops, h, batch.labels))), a2d.distance);
        reported.push(d);
        loss = ops.add(loss, ops.mul(d, ops.scalar(a2d.weight)));
        continue;
      }
      // OUTLIER_TERM
      const syn = cfg.synthesis!;
      const queues = state.queues!;
      queues.push(joinColumns(z.map((zk) => zk.values), B, embedDims), batch.labels);
      const idle = () => reported.push(ops.scalar(0), ops.scalar(0));
      if (!state.synthesisOn || !allFull(queues, C, syn.queueSize)) {
        idle();
        continue;
      }
      const { outliers, count } = synthesizeOutliers(syn.kind, queues, state.synthRng, { k: syn.nnK, alpha: syn.alpha });
      if (count === 0) {
        idle();
        continue;
      }
      const logits = splitColumns(outliers, count, embedDims).map((p, k) =>
        ops.dense(ops.constant([count, embedDims[k]!], p), P(layout.heads[k]!.w), P(layout.heads[k]!.b), false),
      );
      const ood = negPairwise(ops, logits.map((h) => ops.softmax(h)), syn.distance);
      const ent = entropyLoss(ops, logits);
      reported.push(ood, ent);
      loss = ops.add(loss, ops.add(ops.mul(ood, ops.scalar(syn.oodWeight)), ops.mul(ent, ops.scalar(syn.entWeight))));
      synthesised = true;
    }

    const stats = Float32Array.from([loss, ...reported], (t) => t.values[0]!);
    const preds = new Int32Array(B);
    for (let r = 0; r < B; r++) {
      let best = 0;
      for (let c = 1; c < C; c++) if (fused.values[r * C + c]! > fused.values[r * C + best]!) best = c;
      preds[r] = best;
    }

    const grads = tape.gradients(loss, [...params.values()]);
    const byVariable = new Map<tf.Variable, Float32Array>();
    for (const [v, t] of params) {
      const g = grads.get(t);
      if (g) byVariable.set(v, g);
    }
    this.adam.update(byVariable);
    return { stats, preds, synthesised };
  }
}

/** losses.ts logitNormalize: x / (‖x‖₂ + 1e-7) / τ per row. */
function logitNormalize(ops: Ops, x: DTensor, tau: number): DTensor {
  const norms = ops.add(ops.sqrt(ops.sum(ops.square(x), 1, true)), ops.scalar(LOGIT_NORM_EPS));
  return ops.div(ops.div(x, norms), ops.scalar(tau));
}

/** losses.ts dropTrueClass: the two shifted slices blended by the 0/1 mask of slots before the label. */
function dropTrueClass(ops: Ops, logits: DTensor, labels: Int32Array): DTensor {
  const [b, c] = logits.shape as [number, number];
  const before = slotsBeforeLabel(labels, c);
  const after = before.map((v) => 1 - v);
  const left = ops.sliceColumns(logits, 0, c - 1);
  const right = ops.sliceColumns(logits, 1, c - 1);
  return ops.add(ops.mul(left, ops.constant([b, c - 1], before)), ops.mul(right, ops.constant([b, c - 1], after)));
}

/** losses.ts distanceBetween for the distances DirectStep supports. */
function distance(ops: Ops, p: DTensor, q: DTensor, kind: AnyDistance): DTensor {
  if (kind === 'hellinger') {
    const sp = ops.sqrt(ops.maximum(p, HELLINGER_CLAMP));
    const sq = ops.sqrt(ops.maximum(q, HELLINGER_CLAMP));
    return ops.div(ops.safeSqrt(ops.sum(ops.square(ops.sub(sp, sq)), 1)), ops.scalar(Math.SQRT2));
  }
  if (kind === 'l1') return ops.sum(ops.abs(ops.sub(p, q)), 1);
  if (kind === 'l2') return ops.safeSqrt(ops.sum(ops.square(ops.sub(p, q)), 1));
  if (kind === 'upstream-l1') return ops.meanRows(ops.abs(ops.sub(p, q)));
  if (kind === 'upstream-l2') return ops.meanRows(ops.square(ops.sub(p, q)));
  throw new Error(`direct step: distance ${kind} is not supported`);
}

/** losses.ts negPairwise. */
function negPairwise(ops: Ops, probs: readonly DTensor[], kind: AnyDistance): DTensor {
  let total = ops.scalar(0);
  let pairs = 0;
  for (let k = 0; k < probs.length; k++) {
    for (let l = k + 1; l < probs.length; l++) {
      total = ops.add(total, ops.mean(distance(ops, probs[k]!, probs[l]!, kind)));
      pairs++;
    }
  }
  return ops.neg(ops.div(total, ops.scalar(pairs)));
}

/** losses.ts normalizedEntropyLoss. */
function entropyLoss(ops: Ops, logits: readonly DTensor[]): DTensor {
  let total = ops.scalar(0);
  for (const h of logits) {
    const p = ops.softmax(h);
    const ent = ops.neg(ops.sum(ops.mul(p, ops.log(ops.add(p, ops.scalar(ENTROPY_EPS)))), 1));
    total = ops.add(total, ops.mean(ops.div(ent, ops.scalar(Math.log(h.shape[1]!)))));
  }
  return ops.neg(ops.div(total, ops.scalar(logits.length)));
}
