import { matrix, type Matrix } from '../../methods/linalg/matrix.ts';
import { Random } from '../../methods/random.ts';
import type { Benchmark, BenchmarkData, LoadOptions, ModalitySpec, SplitData, TrainingDefaults } from '../benchmark.ts';

/**
 * The embedded default: MultiOOD-shaped benchmarks generated from a seed, no files needed.
 *
 * Generative model, per modality k of width d_k:
 * - every class c has a mean m_{c,k} ~ N(0, s_k² I) (s_k: the modality's class evidence);
 * - in each modality a different random half of the classes is paired up and made nearly
 *   indistinguishable (the second class's mean = the first's + 0.25·s_k noise), so each modality
 *   alone confuses some classes, and fusion, which sees both pairings, resolves them;
 * - a sample is x = m_{c,k} + N(0, I);
 * - an OOD class borrows, in each modality independently, the mean of a different random ID
 *   class, blended with a fresh mean: m_{o,k} = β m_{a_k,k} + sqrt(1 - β²) s_k ε. Each modality
 *   then votes for a different ID class, so the modalities disagree more on OOD than on ID (the
 *   paper's modality prediction discrepancy). β sets the difficulty: near β = 0.75; the Far-OOD
 *   sets hard, medium and easy use β = 0.85, 0.6 and 0.3.
 * Dataset splits (the paper's "different dataset splits") re-draw which classes are ID.
 */
interface SyntheticDefinition {
  readonly id: string;
  readonly title: string;
  readonly setting: 'near' | 'far';
  readonly seed: number;
  readonly idClasses: number;
  readonly oodClasses: number;
  readonly modalities: readonly (ModalitySpec & { readonly evidence: number })[];
  readonly perClass: { readonly train: number; readonly val: number; readonly test: number };
  /** OOD sets: name, samples, blend β with borrowed ID means (higher: closer to ID, harder) */
  readonly oodSets: readonly { readonly name: string; readonly size: number; readonly beta: number }[];
  readonly splits: number;
  readonly training: TrainingDefaults;
}

const TRAINING: TrainingDefaults = {
  epochs: { baseline: 20, a2d: 20, a2dNpmix: 20 },
  a2dWeight: 1.0,
  npmix: { a2d: 0.5, ood: 0.5, ent: 0.5, startEpoch: 10 },
  encoder: 'mlp',
  // As MultiOOD's audio model: no dropout on the audio embedding.
  noDropout: ['audio'],
  // 160 per modality keeps the fused embedding wider than ViM's fixed 256-dim principal subspace.
  hidden: 160,
};

export const SYNTHETIC_DEFINITIONS: readonly SyntheticDefinition[] = [
  {
    id: 'synthetic-near',
    title: 'Synthetic Near-OOD (video + flow, 10/8 classes)',
    setting: 'near',
    seed: 1001,
    idClasses: 10,
    oodClasses: 8,
    modalities: [
      { name: 'video', dim: 48, evidence: 0.55 },
      { name: 'flow', dim: 32, evidence: 0.45 },
    ],
    perClass: { train: 80, val: 20, test: 20 },
    oodSets: [{ name: 'near', size: 400, beta: 0.75 }],
    splits: 5,
    training: TRAINING,
  },
  {
    id: 'synthetic-far',
    title: 'Synthetic Far-OOD (video + audio + flow, 12 classes, three OOD sets)',
    setting: 'far',
    seed: 2002,
    idClasses: 12,
    oodClasses: 12,
    modalities: [
      { name: 'video', dim: 48, evidence: 0.45 },
      { name: 'audio', dim: 16, evidence: 0.5 },
      { name: 'flow', dim: 32, evidence: 0.4 },
    ],
    perClass: { train: 80, val: 20, test: 20 },
    oodSets: [
      { name: 'hard', size: 300, beta: 0.85 },
      { name: 'medium', size: 300, beta: 0.6 },
      { name: 'easy', size: 300, beta: 0.3 },
    ],
    splits: 1,
    training: TRAINING,
  },
];

function gaussianRow(rng: Random, d: number, scale: number): Float64Array {
  return Float64Array.from({ length: d }, () => rng.normal() * scale);
}

export function generateSynthetic(def: SyntheticDefinition, options: LoadOptions): BenchmarkData {
  const split = options.split ?? 0;
  if (!Number.isInteger(split) || split < 0 || split >= def.splits) {
    throw new Error(`${def.id}: dataset split ${split} does not exist (0..${def.splits - 1})`);
  }
  const chosen = options.modalities.map((name) => {
    const m = def.modalities.find((x) => x.name === name);
    if (!m) throw new Error(`${def.id}: no modality "${name}" (has ${def.modalities.map((x) => x.name).join(', ')})`);
    return m;
  });
  // One stream per purpose, so adding a modality or an OOD set does not shift the others' draws.
  const rng = (purpose: number) => new Random(def.seed * 7919 + split * 104729 + purpose);
  const total = def.idClasses + def.oodClasses;
  const classOrder = Array.from({ length: total }, (_, i) => i);
  if (split > 0) rng(1).shuffle(classOrder);
  const idClassIds = classOrder.slice(0, def.idClasses);

  // Means of every class (ID and near-OOD pool) in every modality, with per-modality confusable pairs.
  const means = def.modalities.map((m, k) => {
    const r = rng(100 + k);
    const rows = Array.from({ length: total }, () => gaussianRow(r, m.dim, m.evidence));
    const perm = r.shuffle(Array.from({ length: total }, (_, i) => i));
    for (let p = 0; p + 1 < perm.length / 2; p += 2) {
      const [a, b] = [perm[p]!, perm[p + 1]!];
      rows[b] = rows[a]!.map((v) => v + r.normal() * 0.25 * m.evidence);
    }
    return new Map(rows.map((row, c) => [c, row] as const));
  });

  const draw = (n: number, meanOf: (k: number, i: number) => Float64Array, r: Random): Record<string, Matrix> => {
    const out: Record<string, Matrix> = {};
    for (const m of chosen) {
      const k = def.modalities.indexOf(m);
      const x = matrix(n, m.dim);
      for (let i = 0; i < n; i++) {
        const mu = meanOf(k, i);
        for (let j = 0; j < m.dim; j++) x.data[i * m.dim + j] = mu[j]! + r.normal();
      }
      out[m.name] = x;
    }
    return out;
  };

  const idSplit = (perClass: number, purpose: number): SplitData => {
    const n = perClass * def.idClasses;
    const labels = Int32Array.from({ length: n }, (_, i) => i % def.idClasses);
    return { features: draw(n, (k, i) => means[k]!.get(idClassIds[labels[i]!]!)!, rng(purpose)), labels };
  };

  const ood = new Map<string, SplitData>();
  def.oodSets.forEach((set, s) => {
    const r = rng(300 + s);
    // Each OOD class borrows a different random ID class per modality.
    const oodMeans = Array.from({ length: def.oodClasses }, () =>
      def.modalities.map((m, k) => {
        const borrowed = means[k]!.get(idClassIds[r.int(def.idClasses)]!)!;
        const fresh = gaussianRow(r, m.dim, m.evidence);
        const beta = set.beta;
        return borrowed.map((v, j) => beta * v + Math.sqrt(1 - beta * beta) * fresh[j]!);
      }),
    );
    ood.set(set.name, { features: draw(set.size, (k, i) => oodMeans[i % def.oodClasses]![k]!, r) });
  });

  return {
    train: idSplit(def.perClass.train, 200),
    val: idSplit(def.perClass.val, 201),
    test: idSplit(def.perClass.test, 202),
    ood,
  };
}

export function syntheticBenchmark(def: SyntheticDefinition): Benchmark {
  return {
    id: def.id,
    title: def.title,
    origin: 'generated',
    generatedData: true,
    description: 'Generated by this project from a fixed seed (no real data): Gaussian class clusters per modality, OOD classes that borrow different ID classes in each modality.',
    setting: def.setting,
    classNames: Array.from({ length: def.idClasses }, (_, i) => `class ${i}`),
    modalities: def.modalities.map(({ name, dim }) => ({ name, dim })),
    modalitySets: def.modalities.length === 2
      ? [def.modalities.map((m) => m.name)]
      : [def.modalities.map((m) => m.name), [def.modalities[0]!.name, def.modalities[2]!.name]],
    splits: def.splits,
    fitSplit: 'train',
    training: def.training,
    availability: () => ({ available: true }),
    load: async (options) => generateSynthetic(def, options),
  };
}
