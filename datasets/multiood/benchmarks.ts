/**
 * The MultiOOD benchmark definitions that dumps and checkpoints are evaluated against
 * (docs/multiood-facts.md §2, §3, §4 and §6).
 */
export const MULTIOOD_DATASETS = ['HMDB', 'UCF', 'EPIC', 'Kinetics'] as const;
export type MultioodDataset = (typeof MULTIOOD_DATASETS)[number];
export type Setting = 'near' | 'far';

/** Number of ID classes per setting; Far-OOD exists only with HMDB51 or Kinetics-600 as ID. */
export const ID_CLASS_COUNT: Record<Setting, Partial<Record<MultioodDataset, number>>> = {
  near: { HMDB: 25, UCF: 50, EPIC: 4, Kinetics: 129 },
  far: { HMDB: 43, Kinetics: 229 },
};

/** Far-OOD sets per ID dataset, in the paper's column order. */
export const FAR_OOD_SETS: Partial<Record<MultioodDataset, readonly string[]>> = {
  HMDB: ['UCF', 'Kinetics', 'HAC', 'EPIC'],
  Kinetics: ['HMDB', 'UCF', 'HAC', 'EPIC'],
};
export const ALL_OOD_NAMES = ['UCF', 'EPIC', 'HAC', 'Kinetics', 'HMDB'] as const;

/** Kinetics-600's fit set was ID val for KNN, Mahalanobis and ViM (near and far). */
export function fitSplitFor(dataset: MultioodDataset): 'train' | 'val' {
  return dataset === 'Kinetics' ? 'val' : 'train';
}

/** Embedding width of each modality, and their concatenation order in the fused feature. */
export const MODALITY_DIMS = [
  ['video', 2304],
  ['audio', 512],
  ['flow', 2048],
] as const;

/**
 * Modality slices for a feature width when the caller gave none: every subset of
 * video/audio/flow (in the benchmark's order) has a distinct total width.
 */
export function inferModalityDims(featureDim: number): { name: string; dim: number }[] | undefined {
  for (let mask = 1; mask < 1 << MODALITY_DIMS.length; mask++) {
    const chosen = MODALITY_DIMS.filter((_, i) => mask & (1 << i));
    if (chosen.reduce((s, [, d]) => s + d, 0) === featureDim) return chosen.map(([name, dim]) => ({ name, dim }));
  }
  return undefined;
}
