import { A2D_PAPER, defineRecipe } from '../recipe.ts';

export const a2d = defineRecipe({
  id: 'a2d',
  title: 'A2D (Agree-to-Disagree)',
  summary: 'Cross-entropy averaged over the fused and every unimodal head, plus a term that pushes the unimodal heads to disagree on the non-ground-truth classes (Hellinger distance).',
  paper: A2D_PAPER,
  family: 'a2d',
  classification: { perModality: true, logitNorm: false },
  a2d: 'hellinger',
});
