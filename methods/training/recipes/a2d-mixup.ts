import { A2D_PAPER, defineRecipe } from '../recipe.ts';

/** Ablation: A2D with plain Mixup outliers instead of NP-Mix. */
export const a2dMixup = defineRecipe({
  id: 'a2d_mixup',
  title: 'A2D + Mixup outliers',
  summary: 'A2D with outliers mixed between random classes (Mixup) in place of neighbouring prototypes (ablation).',
  paper: A2D_PAPER,
  family: 'a2dNpmix',
  classification: { perModality: true, logitNorm: false },
  a2d: 'hellinger',
  synthesis: 'mixup',
});
