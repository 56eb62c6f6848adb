import { A2D_PAPER, defineRecipe } from '../recipe.ts';

export const a2dNpmix = defineRecipe({
  id: 'a2d_npmix',
  title: 'A2D + NP-Mix',
  summary: 'A2D plus outliers mixed from neighbouring class prototypes (NP-Mix), on which the unimodal heads are pushed to disagree and to be uncertain.',
  paper: A2D_PAPER,
  family: 'a2dNpmix',
  classification: { perModality: true, logitNorm: false },
  a2d: 'hellinger',
  synthesis: 'npmix',
});
