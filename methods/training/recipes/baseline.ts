import { A2D_PAPER, defineRecipe } from '../recipe.ts';

export const baseline = defineRecipe({
  id: 'baseline',
  title: 'Baseline (cross-entropy)',
  summary: 'Cross-entropy on the fused head only, as the benchmark trained its baselines.',
  paper: A2D_PAPER,
  family: 'baseline',
  classification: { perModality: false, logitNorm: false },
});
