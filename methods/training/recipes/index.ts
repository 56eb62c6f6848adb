import type { TrainingRecipe } from '../recipe.ts';
import { a2d } from './a2d.ts';
import { a2dL1 } from './a2d-l1.ts';
import { a2dL2 } from './a2d-l2.ts';
import { a2dMixup } from './a2d-mixup.ts';
import { a2dNpmix } from './a2d-npmix.ts';
import { a2dVos } from './a2d-vos.ts';
import { a2dWasserstein } from './a2d-wasserstein.ts';
import { baseline } from './baseline.ts';
import { logitnorm } from './logitnorm.ts';
import { logitnormA2d } from './logitnorm-a2d.ts';
import { logitnormA2dNpmix } from './logitnorm-a2d-npmix.ts';

/** Every training recipe: the paper's methods first, then the ablations. Adding one: its file plus one line here. */
export const RECIPES: readonly TrainingRecipe[] = [
  baseline,
  a2d,
  a2dNpmix,
  logitnorm,
  logitnormA2d,
  logitnormA2dNpmix,
  a2dL1,
  a2dL2,
  a2dWasserstein,
  a2dMixup,
  a2dVos,
];

export function recipeById(id: string): TrainingRecipe | undefined {
  return RECIPES.find((r) => r.id === id);
}
