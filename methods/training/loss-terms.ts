import * as tf from '@tensorflow/tfjs-core';
import type { Random } from '../random.ts';
import { a2dDiscrepancy, normalizedEntropyLoss, syntheticDiscrepancy } from './losses.ts';
import type { ForwardResult, MultimodalModel } from './model.ts';
import type { ClassQueues } from './npmix.ts';
import { synthesizeOutliers } from './outlier-synthesis.ts';
import type { TrainingConfig } from './recipe.ts';

/**
 * The hook through which a recipe adds loss terms to the training step. The step computes the
 * forward pass and the classification loss (every recipe has one), then asks each of the recipe's
 * terms for its unweighted values (reported per epoch under `names`) and its weighted
 * contribution to the loss. A new loss is its function in losses.ts plus a term here or in the
 * recipe's own file (`defineRecipe({ ..., terms: [myTerm] })`); the step itself never changes.
 */
export interface StepBatch {
  /** Modality k's B x d_k inputs (for identity encoders: already multiplied by the dropout mask). */
  readonly inputs: readonly tf.Tensor2D[];
  /** Trainable encoders: the inverted-dropout masks of the embeddings (undefined: no dropout on that modality). */
  readonly masks?: readonly (tf.Tensor2D | undefined)[];
  readonly labels: Int32Array;
  readonly labelsT: tf.Tensor1D;
  /** Identity encoders: the CPU copy of `inputs` (= Z^k), so the queues need no read-back. */
  readonly zCpu?: readonly Float32Array[];
}

export interface StepState {
  /** The per-class queues of outlier synthesis (configs with synthesis only). */
  readonly queues?: ClassQueues;
  readonly synthRng: Random;
  /** Whether this epoch has reached synthesis.startEpoch. */
  readonly synthesisOn: boolean;
}

export interface TermContext {
  readonly model: MultimodalModel;
  readonly cfg: TrainingConfig;
  /** The training-mode forward pass of the batch (dropped embeddings in `z`). */
  readonly out: ForwardResult;
  readonly batch: StepBatch;
  readonly state: StepState;
}

export interface TermValue {
  /** One unweighted scalar per name, in order (0 where the term did not act this step). */
  readonly values: readonly tf.Scalar[];
  /** What the term adds to the loss (weights applied); undefined adds nothing. */
  readonly weighted?: tf.Scalar;
  /** Whether this step synthesised outliers (counted per epoch). */
  readonly synthesised?: boolean;
}

export interface LossTermDefinition {
  /** Names of the reported values (EpochRecord.terms). */
  readonly names: readonly string[];
  /** Whether it reads the unimodal heads' logits of the batch (the forward pass then computes them). */
  readonly usesUnimodalLogits: boolean;
  /** Called inside the gradient tape on every step. */
  compute(ctx: TermContext): TermValue;
}

/** A2D: the unimodal heads pushed to disagree on the non-ground-truth classes (facts §5). */
export const A2D_TERM: LossTermDefinition = {
  names: ['a2d'],
  usesUnimodalLogits: true,
  compute({ cfg, out, batch }) {
    if (!cfg.a2d) throw new Error('the A2D term needs cfg.a2d');
    const d = a2dDiscrepancy(out.unimodal, batch.labelsT, cfg.a2d.distance);
    return { values: [d], weighted: tf.mul(d, cfg.a2d.weight) as tf.Scalar };
  },
};

/**
 * Outlier synthesis (NP-Mix, Mixup, VOS): the queues first take the batch's detached,
 * concatenated (dropped) embeddings, as upstream does before it mixes; outliers are made once
 * every class queue is full and the epoch has reached start_epoch, cut into modality slices and
 * passed through the unimodal heads only, where they are pushed to disagree and to be uncertain.
 */
export const OUTLIER_TERM: LossTermDefinition = {
  names: ['ood', 'ent'],
  usesUnimodalLogits: false,
  compute({ model, cfg, out, batch, state }) {
    const syn = cfg.synthesis;
    const queues = state.queues;
    if (!syn || !queues) throw new Error('outlier synthesis needs cfg.synthesis and the class queues');
    const embedDims = model.embedDims;
    const z = embedDims.map((_, k) => batch.zCpu?.[k] ?? (out.z[k]!.dataSync() as Float32Array));
    queues.push(joinColumns(z, batch.labels.length, embedDims), batch.labels);
    if (!state.synthesisOn || !allFull(queues, model.numClasses, syn.queueSize)) return { values: [tf.scalar(0), tf.scalar(0)] };
    const { outliers, count } = synthesizeOutliers(syn.kind, queues, state.synthRng, { k: syn.nnK, alpha: syn.alpha });
    if (count === 0) return { values: [tf.scalar(0), tf.scalar(0)] };
    const parts = splitColumns(outliers, count, embedDims).map((p, k) => tf.tensor2d(p, [count, embedDims[k]!]));
    const logits = model.unimodalLogits(parts);
    const ood = syntheticDiscrepancy(logits, syn.distance);
    const ent = normalizedEntropyLoss(logits);
    return { values: [ood, ent], weighted: tf.add(tf.mul(ood, syn.oodWeight), tf.mul(ent, syn.entWeight)) as tf.Scalar, synthesised: true };
  },
};

/** The terms a resolved config implies: A2D where it has an A2D weight, outliers where it synthesises. */
export function termsOf(cfg: TrainingConfig): LossTermDefinition[] {
  return [...(cfg.a2d ? [A2D_TERM] : []), ...(cfg.synthesis ? [OUTLIER_TERM] : [])];
}

/** Whether every class queue holds `capacity` embeddings (synthesis waits for that). */
export function allFull(queues: ClassQueues, numClasses: number, capacity: number): boolean {
  for (let c = 0; c < numClasses; c++) if (queues.size(c) < capacity) return false;
  return true;
}

/** Joins per-modality rows x D_k blocks into row-major rows x D (the concatenated embeddings the queues take). */
export function joinColumns(parts: readonly Float32Array[], rows: number, widths: readonly number[]): Float32Array {
  const D = widths.reduce((s, w) => s + w, 0);
  const out = new Float32Array(rows * D);
  let offset = 0;
  parts.forEach((p, k) => {
    const w = widths[k]!;
    for (let r = 0; r < rows; r++) out.set(p.subarray(r * w, (r + 1) * w), r * D + offset);
    offset += w;
  });
  return out;
}

/** Splits row-major count x D outliers into per-modality count x D_k blocks (the inverse of joinColumns). */
export function splitColumns(values: Float32Array, count: number, widths: readonly number[]): Float32Array[] {
  const D = widths.reduce((s, w) => s + w, 0);
  let offset = 0;
  return widths.map((w) => {
    const out = new Float32Array(count * w);
    for (let r = 0; r < count; r++) out.set(values.subarray(r * D + offset, r * D + offset + w), r * w);
    offset += w;
    return out;
  });
}
