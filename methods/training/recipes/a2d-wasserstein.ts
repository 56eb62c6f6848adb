import { A2D_PAPER, defineRecipe } from '../recipe.ts';

/** Ablation: A2D with the Wasserstein distance instead of Hellinger. */
export const a2dWasserstein = defineRecipe({
  id: 'a2d_wasserstein',
  title: 'A2D (Wasserstein distance)',
  summary: 'A2D with the Wasserstein distance between the unimodal predictions in place of Hellinger (ablation).',
  paper: A2D_PAPER,
  family: 'a2d',
  classification: { perModality: true, logitNorm: false },
  a2d: 'wasserstein',
});
