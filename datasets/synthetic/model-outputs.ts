import { matrix, type Matrix } from '../../methods/linalg/matrix.ts';
import { applyHead } from '../../methods/logits.ts';
import type { FusedHead, ModalitySlice, ModelOutputs, SplitOutputs } from '../../methods/outputs.ts';
import { Random } from '../../methods/random.ts';

/**
 * Model outputs generated directly, without training: what a trained multimodal classifier's
 * dumps look like, at any scale, from a seed. Used by `run` before training exists, by the
 * scorer benchmark (Kinetics-scale dumps) and by tests.
 *
 * Generative model: class c has a mean m_c^k in each modality k (Gaussian, scaled by the
 * modality's signal strength, so modalities differ in how much class evidence they carry).
 * A sample of class c is ReLU(m_c + noise) per modality, like pooled post-ReLU embeddings.
 * Near-OOD samples come from held-out classes drawn the same way (new means). The fused head
 * is the nearest-class-mean linear classifier: W_c = m_c / s, b_c = -||m_c||^2 / (2 s).
 */
export interface SyntheticOutputsSpec {
  readonly seed: number;
  readonly idClasses: number;
  readonly oodClasses: number;
  readonly modalities: readonly { readonly name: string; readonly dim: number; readonly signal: number }[];
  readonly sizes: { readonly train: number; readonly val: number; readonly test: number; readonly ood: number };
  /** Noise standard deviation per feature. */
  readonly noise?: number;
}

export function synthesizeModelOutputs(spec: SyntheticOutputsSpec): ModelOutputs {
  const rng = new Random(spec.seed);
  const noise = spec.noise ?? 1;
  const slices: ModalitySlice[] = [];
  let d = 0;
  for (const m of spec.modalities) {
    slices.push({ name: m.name, start: d, end: d + m.dim });
    d += m.dim;
  }
  const classMeans = (count: number): Matrix => {
    const means = matrix(count, d);
    for (let c = 0; c < count; c++) {
      spec.modalities.forEach((m, k) => {
        const scale = m.signal / Math.sqrt(m.dim);
        for (let j = slices[k]!.start; j < slices[k]!.end; j++) means.data[c * d + j] = rng.normal() * scale * 4 + 0.5;
      });
    }
    return means;
  };
  const idMeans = classMeans(spec.idClasses);
  const oodMeans = classMeans(spec.oodClasses);

  const sampleSplit = (n: number, means: Matrix): { features: Matrix; labels: Int32Array } => {
    const features = matrix(n, d);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const c = i % means.rows; // balanced classes, deterministic order
      labels[i] = c;
      for (let j = 0; j < d; j++) features.data[i * d + j] = Math.max(0, means.data[c * d + j]! + noise * rng.normal());
    }
    return { features, labels };
  };

  const weight = matrix(spec.idClasses, d);
  const bias = new Float64Array(spec.idClasses);
  const s = noise * noise;
  for (let c = 0; c < spec.idClasses; c++) {
    let sq = 0;
    for (let j = 0; j < d; j++) {
      const v = idMeans.data[c * d + j]!;
      weight.data[c * d + j] = v / s;
      sq += v * v;
    }
    bias[c] = -sq / (2 * s);
  }
  const head: FusedHead = { weight, bias };
  const withLogits = ({ features, labels }: { features: Matrix; labels: Int32Array }, keepLabels: boolean): SplitOutputs => ({
    logits: applyHead(features, head),
    features,
    ...(keepLabels ? { labels } : {}),
  });
  return {
    numClasses: spec.idClasses,
    modalities: slices,
    head,
    id: {
      train: withLogits(sampleSplit(spec.sizes.train, idMeans), true),
      val: withLogits(sampleSplit(spec.sizes.val, idMeans), true),
      test: withLogits(sampleSplit(spec.sizes.test, idMeans), true),
    },
    ood: new Map([['near', withLogits(sampleSplit(spec.sizes.ood, oodMeans), false)]]),
  };
}
