import { A2D_PAPER, defineRecipe } from '../recipe.ts';

/**
 * Ablation (paper Table 5): A2D with the L2 "distance" exactly as the upstream scripts computed
 * it ('upstream-l2', see losses.ts), so the paper's ablation is reproduced; the textbook
 * definition is available with --set distance=l2.
 */
export const a2dL2 = defineRecipe({
  id: 'a2d_l2',
  title: 'A2D (L2 distance)',
  summary: 'A2D with the L2 distance between the unimodal predictions in place of Hellinger (ablation).',
  paper: A2D_PAPER,
  family: 'a2d',
  classification: { perModality: true, logitNorm: false },
  a2d: 'upstream-l2',
});
