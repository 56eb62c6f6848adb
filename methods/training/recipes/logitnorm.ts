import { defineRecipe, LOGITNORM_PAPER } from '../recipe.ts';

export const logitnorm = defineRecipe({
  id: 'logitnorm',
  title: 'LogitNorm',
  summary: 'Cross-entropy on L2-normalised fused logits (temperature 0.04), which curbs over-confidence.',
  paper: LOGITNORM_PAPER,
  family: 'baseline',
  classification: { perModality: false, logitNorm: true },
});
