import { A2D_PAPER, defineRecipe } from '../recipe.ts';

/**
 * Ablation (paper Table 5): A2D with the L1 "distance" exactly as the upstream scripts computed
 * it ('upstream-l1', see losses.ts), so the paper's ablation is reproduced; the textbook
 * definition is available with --set distance=l1.
 */
export const a2dL1 = defineRecipe({
  id: 'a2d_l1',
  title: 'A2D (L1 distance)',
  summary: 'A2D with the L1 distance between the unimodal predictions in place of Hellinger (ablation).',
  paper: A2D_PAPER,
  family: 'a2d',
  classification: { perModality: true, logitNorm: false },
  a2d: 'upstream-l1',
});
