/**
 * Training losses of MultiOOD (docs/multiood-facts.md §5): the classification loss (CE or LogitNorm, fused
 * head only or fused + every unimodal head), A2D's discrepancy between the unimodal predictions
 * with the true class removed, the same discrepancy on synthesised outliers, and the normalised
 * prediction entropy of the outliers.
 *
 * Every loss is pure: it takes tf tensors, returns a tf.Scalar (a mean over the batch) and
 * disposes of all its intermediates (tf.tidy), so it can be called inside tf.grad /
 * tf.variableGrads / optimizer.minimize. Only functional tf ops are used (no chained ops), so the
 * module works whether or not the chained-op augmentation was registered. Degenerate points:
 * every square root used as a distance (Hellinger's outer root, L2, the upstream nearest-neighbour
 * distance) has gradient 0 where its argument is exactly 0 (identical rows) instead of the NaN
 * that torch gives there; |x| (L1, Wasserstein) has tfjs's gradient -1 at exactly x = 0 where
 * torch's is 0; everywhere else the gradients are torch's. Labels (int32; others are cast) are
 * read back once per call (dataSync of a [B] vector) to check they are class indices and, for A2D,
 * to build the drop mask: cheap on the cpu and wasm backends.
 *
 * Numerically checked against torch autograd in losses.test.ts (fixtures/make_losses.py).
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's main (CJS) bundle registers no gradient functions; the full @tensorflow/tfjs package
// registers them through this module. It populates the global gradient registry shared by every
// copy of tfjs-core, so tf.grad / tf.variableGrads / optimizers work for whoever imports losses.ts.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
// Saved tensors share storage instead of being copied by one Identity kernel each (tape-saves.ts).
import './tape-saves.ts';

/**
 * The distances between two probability rows p, q (length n) offered for A2D and for the outlier
 * discrepancy. Exact definitions, per row:
 *  - 'hellinger':   H(p, q) = sqrt( sum_i (sqrt(p'_i) - sqrt(q'_i))^2 ) / sqrt(2), where
 *                   p' = max(p, 1e-6), q' = max(q, 1e-6) (upstream's clamp); in [0, 1].
 *  - 'l1':          sum_i |p_i - q_i| (total variation x 2); in [0, 2].
 *  - 'l2':          sqrt( sum_i (p_i - q_i)^2 ) (Euclidean); in [0, sqrt 2].
 *  - 'wasserstein': the 1-Wasserstein (earth mover's) distance between p and q as distributions
 *                   on the ordinal support 0, 1, ..., n-1 with unit spacing, i.e.
 *                   sum_{i=0}^{n-2} | CDF_p(i) - CDF_q(i) |, CDF_p(i) = sum_{j<=i} p_j
 *                   (the last CDF term, 1 - 1, is left out); in [0, n-1]. Class indices carry no
 *                   order, so this ground metric is a convention, not part of the paper.
 */
export type Distance = 'hellinger' | 'l1' | 'l2' | 'wasserstein';

/**
 * The ablation "distances" exactly as the upstream scripts (donghao51/MultiOOD train_*.py) ran
 * them, for a faithful reproduction of the paper's distance ablation. Per row:
 *  - 'upstream-l1':   mean_i |p_i - q_i|          (nn.L1Loss, so the batch mean is L1Loss(p, q)).
 *  - 'upstream-l2':   mean_i (p_i - q_i)^2        (nn.MSELoss: squared, no root, mean over i).
 *  - 'upstream-wasserstein': upstream's `wasserstein_distance(x, y)` is
 *                     mean_r min_s ||x_r - y_s||_2 over the *batch* rows (torch.cdist + sort), a
 *                     nearest-neighbour distance, not a Wasserstein distance; upstream averages
 *                     both argument orders. Per row r this is
 *                     ( min_s ||p_r - q_s||_2 + min_s ||q_r - p_s||_2 ) / 2, whose batch mean is
 *                     (W(p, q) + W(q, p)) / 2. Unlike the others it couples the rows of the batch.
 */
export type UpstreamDistance = 'upstream-l1' | 'upstream-l2' | 'upstream-wasserstein';

/** Everything distanceBetween accepts. */
export type AnyDistance = Distance | UpstreamDistance;

export const DISTANCES: readonly Distance[] = ['hellinger', 'l1', 'l2', 'wasserstein'];
export const UPSTREAM_DISTANCES: readonly UpstreamDistance[] = ['upstream-l1', 'upstream-l2', 'upstream-wasserstein'];

/** Hellinger's clamp on probabilities before the square roots (upstream: torch.clamp(min=1e-6)). */
export const HELLINGER_CLAMP = 1e-6;
/** LogitNorm's default temperature (upstream --logit_norm_tau 0.04). */
export const LOGIT_NORM_TAU = 0.04;
/** LogitNorm's epsilon added to the L2 norm. */
export const LOGIT_NORM_EPS = 1e-7;
/** Epsilon inside the entropy's log (upstream: torch.log(probs + 1e-9)). */
export const ENTROPY_EPS = 1e-9;

// ----- helpers ---------------------------------------------------------------------------------

function checkLogits(name: string, logits: tf.Tensor, batch?: number, classes?: number): void {
  if (logits.rank !== 2) throw new Error(`${name}: expected a 2-D logits tensor, got shape [${logits.shape}]`);
  const [b, c] = logits.shape as [number, number];
  if (batch !== undefined && b !== batch) throw new Error(`${name}: batch ${b}, expected ${batch}`);
  if (classes !== undefined && c !== classes) throw new Error(`${name}: ${c} classes, expected ${classes}`);
}

/** Shapes, and (one dataSync of the small label vector) that every label is a class index. */
function checkLabels(name: string, logits: tf.Tensor, labels: tf.Tensor): void {
  if (labels.rank !== 1) throw new Error(`${name}: labels must be 1-D, got shape [${labels.shape}]`);
  if (labels.shape[0] !== logits.shape[0]) {
    throw new Error(`${name}: ${labels.shape[0]} labels for a batch of ${logits.shape[0]}`);
  }
  const c = logits.shape[1]!;
  for (const y of labels.dataSync()) {
    if (!Number.isInteger(y) || y < 0 || y >= c) throw new Error(`${name}: label ${y} outside 0..${c - 1}`);
  }
}

function checkModalities(name: string, unimodal: readonly tf.Tensor2D[], minM: number): void {
  if (unimodal.length < minM) throw new Error(`${name}: needs at least ${minM} modalities, got ${unimodal.length}`);
  const first = unimodal[0]!;
  checkLogits(name, first);
  for (const h of unimodal) checkLogits(name, h, first.shape[0], first.shape[1]);
}

function asInt(labels: tf.Tensor1D): tf.Tensor1D {
  return labels.dtype === 'int32' ? labels : tf.cast(labels, 'int32');
}

/** sqrt(x) with gradient 0 (not infinity) where x <= 0; x >= 0 is expected. */
function safeSqrt(x: tf.Tensor): tf.Tensor {
  // the mask through step (which has a zero gradient): comparisons have no gradient function,
  // and the tape would need one because x depends on the differentiated inputs
  const pos = tf.cast(tf.step(x, 0), 'bool');
  return tf.where(pos, tf.sqrt(tf.where(pos, x, tf.onesLike(x))), tf.zerosLike(x));
}

/** Per-sample cross-entropy -log softmax(logits)[y], shape [B]. */
function perSampleCE(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  const oneHot = tf.oneHot(asInt(labels), logits.shape[1]);
  return tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1)) as tf.Tensor1D;
}

function logitNormalize(logits: tf.Tensor2D, tau: number): tf.Tensor2D {
  const norms = tf.add(tf.sqrt(tf.sum(tf.square(logits), 1, true)), LOGIT_NORM_EPS);
  return tf.div(tf.div(logits, norms), tau) as tf.Tensor2D;
}

// ----- classification --------------------------------------------------------------------------

/** Mean over the batch of -log softmax(logits)[label] (F.cross_entropy). Labels: int32 (others are cast). */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  checkLogits('crossEntropy', logits);
  checkLabels('crossEntropy', logits, labels);
  return tf.tidy(() => tf.mean(perSampleCE(logits, labels)) as tf.Scalar);
}

/** LogitNorm (Wei et al. 2022): CE(x / (||x||_2 + 1e-7) / tau, y), tau = 0.04 by default. */
export function logitNormCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, tau: number = LOGIT_NORM_TAU): tf.Scalar {
  checkLogits('logitNormCrossEntropy', logits);
  checkLabels('logitNormCrossEntropy', logits, labels);
  if (!(tau > 0)) throw new Error(`logitNormCrossEntropy: tau ${tau}, expected > 0`);
  return tf.tidy(() => tf.mean(perSampleCE(logitNormalize(logits, tau), labels)) as tf.Scalar);
}

/**
 * The classification loss. Baseline (perModality false): CE(fused). A2D runs (perModality true,
 * upstream --use_single_pred): (CE(fused) + sum_k CE(h_k)) / (M + 1). With logitNorm every CE is
 * replaced by the LogitNorm loss with temperature tau (default 0.04). `unimodal` is ignored when
 * perModality is false.
 */
export function classificationLoss(
  fused: tf.Tensor2D,
  unimodal: readonly tf.Tensor2D[],
  labels: tf.Tensor1D,
  o: { perModality: boolean; logitNorm: boolean; tau?: number },
): tf.Scalar {
  const ce = (x: tf.Tensor2D) => (o.logitNorm ? logitNormCrossEntropy(x, labels, o.tau ?? LOGIT_NORM_TAU) : crossEntropy(x, labels));
  if (!o.perModality) return ce(fused);
  checkLogits('classificationLoss', fused);
  for (const h of unimodal) checkLogits('classificationLoss', h, fused.shape[0], fused.shape[1]);
  return tf.tidy(() => {
    let total: tf.Tensor = ce(fused);
    for (const h of unimodal) total = tf.add(total, ce(h));
    return tf.div(total, unimodal.length + 1) as tf.Scalar;
  });
}

// ----- distances -------------------------------------------------------------------------------

/**
 * Per-row distance between probability rows p and q ([B, n] each, rows summing to 1); returns
 * [B]. See Distance and UpstreamDistance for the exact definitions.
 */
export function distanceBetween(p: tf.Tensor2D, q: tf.Tensor2D, distance: AnyDistance): tf.Tensor1D {
  checkLogits('distanceBetween', p);
  checkLogits('distanceBetween', q, p.shape[0], p.shape[1]);
  return tf.tidy(() => {
    switch (distance) {
      case 'hellinger': {
        const sp = tf.sqrt(tf.maximum(p, HELLINGER_CLAMP));
        const sq = tf.sqrt(tf.maximum(q, HELLINGER_CLAMP));
        return tf.div(safeSqrt(tf.sum(tf.square(tf.sub(sp, sq)), 1)), Math.SQRT2) as tf.Tensor1D;
      }
      case 'l1':
        return tf.sum(tf.abs(tf.sub(p, q)), 1) as tf.Tensor1D;
      case 'l2':
        return safeSqrt(tf.sum(tf.square(tf.sub(p, q)), 1)) as tf.Tensor1D;
      case 'wasserstein': {
        const n = p.shape[1];
        if (n < 2) return tf.zeros([p.shape[0]]) as tf.Tensor1D;
        const cdf = tf.slice(tf.cumsum(tf.sub(p, q), 1), [0, 0], [-1, n - 1]);
        return tf.sum(tf.abs(cdf), 1) as tf.Tensor1D;
      }
      case 'upstream-l1':
        return tf.mean(tf.abs(tf.sub(p, q)), 1) as tf.Tensor1D;
      case 'upstream-l2':
        return tf.mean(tf.square(tf.sub(p, q)), 1) as tf.Tensor1D;
      case 'upstream-wasserstein': {
        // D[r, s] = ||p_r - q_s||_2 over the batch rows (torch.cdist(p, q))
        const diff = tf.sub(tf.expandDims(p, 1), tf.expandDims(q, 0));
        const dist = safeSqrt(tf.sum(tf.square(diff), 2));
        return tf.div(tf.add(tf.min(dist, 1), tf.min(dist, 0)), 2) as tf.Tensor1D;
      }
      default: {
        const never: never = distance;
        throw new Error(`distanceBetween: unknown distance ${String(never)}`);
      }
    }
  });
}

/**
 * Drops, in every row, the logit of the row's label: [B, C] -> [B, C-1], the remaining logits in
 * their original order (upstream: torch.cat([x[i, :c], x[i, c+1:]])). Computed as
 * kept[:, j] = x[:, j] if j < c else x[:, j+1], from the two shifted slices of x and a 0/1 mask
 * built on the CPU from the labels (which it reads with dataSync). Exact for finite logits; the
 * dropped logit gets gradient 0. No gather: its gradient needs UnsortedSegmentSum, which the wasm
 * backend lacks.
 */
export function dropTrueClass(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor2D {
  checkLogits('dropTrueClass', logits);
  checkLabels('dropTrueClass', logits, labels);
  const [b, c] = logits.shape as [number, number];
  if (c < 2) throw new Error(`dropTrueClass: needs at least 2 classes, got ${c}`);
  const mask = slotsBeforeLabel(labels.dataSync(), c); // labels checked by checkLabels
  return tf.tidy(() => {
    const before = tf.tensor2d(mask, [b, c - 1]);
    const left = tf.slice(logits, [0, 0], [b, c - 1]); // x[:, j]
    const right = tf.slice(logits, [0, 1], [b, c - 1]); // x[:, j + 1]
    return tf.add(tf.mul(left, before), tf.mul(right, tf.sub(1, before))) as tf.Tensor2D;
  });
}

/** dropTrueClass's mask: b x (c-1), 1 where slot j precedes row r's label. */
export function slotsBeforeLabel(labels: ArrayLike<number>, c: number): Float32Array {
  const mask = new Float32Array(labels.length * (c - 1));
  for (let r = 0; r < labels.length; r++) mask.fill(1, r * (c - 1), r * (c - 1) + labels[r]!);
  return mask;
}

/** -(mean over pairs k < l of the batch mean of distance(probs[k], probs[l])). */
function negPairwise(probs: readonly tf.Tensor2D[], distance: AnyDistance): tf.Scalar {
  let total: tf.Tensor = tf.scalar(0);
  let pairs = 0;
  for (let k = 0; k < probs.length; k++) {
    for (let l = k + 1; l < probs.length; l++) {
      total = tf.add(total, tf.mean(distanceBetween(probs[k]!, probs[l]!, distance)));
      pairs++;
    }
  }
  return tf.neg(tf.div(total, pairs)) as tf.Scalar;
}

/**
 * A2D's L_discr: for each sample (label c) and modality k drop the c-th logit of head k, softmax
 * the remaining C-1 logits; L_discr = -(2 / (M(M-1))) sum_{k<l} mean_samples distance(p_k, p_l).
 * Minimising it pushes the modalities to disagree on the non-ground-truth classes. M >= 2, C >= 2.
 */
export function a2dDiscrepancy(unimodal: readonly tf.Tensor2D[], labels: tf.Tensor1D, distance: AnyDistance = 'hellinger'): tf.Scalar {
  checkModalities('a2dDiscrepancy', unimodal, 2);
  checkLabels('a2dDiscrepancy', unimodal[0]!, labels);
  return tf.tidy(() => negPairwise(unimodal.map((h) => tf.softmax(dropTrueClass(h, labels))), distance));
}

/**
 * NP-Mix's L_discr_syn on synthesised outliers: the same pairwise mean as a2dDiscrepancy over the
 * full unimodal softmaxes (no class dropped). `unimodal[k]` are head k's logits on the outliers'
 * modality-k slices. M >= 2 and a non-empty batch (an empty batch gives NaN).
 */
export function syntheticDiscrepancy(unimodal: readonly tf.Tensor2D[], distance: AnyDistance = 'hellinger'): tf.Scalar {
  checkModalities('syntheticDiscrepancy', unimodal, 2);
  return tf.tidy(() => negPairwise(unimodal.map((h) => tf.softmax(h)), distance));
}

/**
 * Per-row normalised prediction entropy H(softmax(x)) / log C with H(p) = -sum_i p_i log(p_i + 1e-9)
 * (upstream normalized_prediction_entropy); returns [B]. C >= 2.
 */
export function normalizedEntropy(logits: tf.Tensor2D): tf.Tensor1D {
  checkLogits('normalizedEntropy', logits);
  const c = logits.shape[1];
  if (c < 2) throw new Error(`normalizedEntropy: needs at least 2 classes, got ${c}`);
  return tf.tidy(() => {
    const p = tf.softmax(logits);
    const h = tf.neg(tf.sum(tf.mul(p, tf.log(tf.add(p, ENTROPY_EPS))), 1));
    return tf.div(h, Math.log(c)) as tf.Tensor1D;
  });
}

/** NP-Mix's L_ent = -(mean over modalities of the batch mean of the normalised entropy). M >= 1. */
export function normalizedEntropyLoss(unimodal: readonly tf.Tensor2D[]): tf.Scalar {
  checkModalities('normalizedEntropyLoss', unimodal, 1);
  return tf.tidy(() => {
    let total: tf.Tensor = tf.scalar(0);
    for (const h of unimodal) total = tf.add(total, tf.mean(normalizedEntropy(h)));
    return tf.neg(tf.div(total, unimodal.length)) as tf.Scalar;
  });
}
