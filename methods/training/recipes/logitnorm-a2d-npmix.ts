import { A2D_PAPER, defineRecipe } from '../recipe.ts';

export const logitnormA2dNpmix = defineRecipe({
  id: 'logitnorm_a2d_npmix',
  title: 'LogitNorm + A2D + NP-Mix',
  summary: 'A2D + NP-Mix with every cross-entropy replaced by LogitNorm (temperature 0.04).',
  paper: A2D_PAPER,
  family: 'a2dNpmix',
  classification: { perModality: true, logitNorm: true },
  a2d: 'hellinger',
  synthesis: 'npmix',
});
