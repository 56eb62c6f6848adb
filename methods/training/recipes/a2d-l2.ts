import { A2D_PAPER, defineRecipe } from '../recipe.ts';

/** Ablation: A2D with the L2 distance instead of Hellinger. */
export const a2dL2 = defineRecipe({
  id: 'a2d_l2',
  title: 'A2D (L2 distance)',
  summary: 'A2D with the L2 distance between the unimodal predictions in place of Hellinger (ablation).',
  paper: A2D_PAPER,
  family: 'a2d',
  classification: { perModality: true, logitNorm: false },
  a2d: 'l2',
});
