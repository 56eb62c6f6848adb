import { A2D_PAPER, defineRecipe } from '../recipe.ts';

/** Ablation: A2D with VOS outliers (low-likelihood samples of class-conditional Gaussians). */
export const a2dVos = defineRecipe({
  id: 'a2d_vos',
  title: 'A2D + VOS outliers',
  summary: 'A2D with outliers sampled from the low-likelihood region of class-conditional Gaussians (VOS) in place of NP-Mix (ablation).',
  paper: A2D_PAPER,
  family: 'a2dNpmix',
  classification: { perModality: true, logitNorm: false },
  a2d: 'hellinger',
  synthesis: 'vos',
});
