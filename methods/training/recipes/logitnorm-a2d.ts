import { A2D_PAPER, defineRecipe } from '../recipe.ts';

/** The paper's Table 1 "LogitNorm+": LogitNorm with A2D, no outlier synthesis. */
export const logitnormA2d = defineRecipe({
  id: 'logitnorm_a2d',
  title: 'LogitNorm + A2D',
  summary: 'A2D with every cross-entropy replaced by LogitNorm (temperature 0.04), no outlier synthesis (the paper\'s "LogitNorm+").',
  paper: A2D_PAPER,
  family: 'a2d',
  classification: { perModality: true, logitNorm: true },
  a2d: 'hellinger',
});
