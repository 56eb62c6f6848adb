import { A2D_PAPER, defineRecipe } from '../recipe.ts';

/**
 * Ablation (paper Table 5): A2D + NP-Mix with the L1 "distance" exactly as the upstream scripts
 * computed it ('upstream-l1', see losses.ts) in place of Hellinger, in both discrepancy terms.
 * The paper's Hellinger column equals its A2D + NP-Mix results, so the ablation ran with NP-Mix.
 * The textbook definition is available with --set distance=l1.
 */
export const a2dL1 = defineRecipe({
  id: 'a2d_l1',
  title: 'A2D + NP-Mix (L1 distance)',
  summary: 'A2D + NP-Mix with the L1 distance between the unimodal predictions in place of Hellinger (ablation, paper Table 5).',
  paper: A2D_PAPER,
  family: 'a2dNpmix',
  classification: { perModality: true, logitNorm: false },
  a2d: 'upstream-l1',
  synthesis: 'npmix',
});
