import { A2D_PAPER, defineRecipe } from '../recipe.ts';

/**
 * Ablation (paper Table 5): A2D with the Wasserstein "distance" exactly as the upstream scripts computed
 * it ('upstream-wasserstein', see losses.ts), so the paper's ablation is reproduced; the textbook
 * definition is available with --set distance=wasserstein.
 */
export const a2dWasserstein = defineRecipe({
  id: 'a2d_wasserstein',
  title: 'A2D (Wasserstein distance)',
  summary: 'A2D with the Wasserstein distance between the unimodal predictions in place of Hellinger (ablation).',
  paper: A2D_PAPER,
  family: 'a2d',
  classification: { perModality: true, logitNorm: false },
  a2d: 'upstream-wasserstein',
});
