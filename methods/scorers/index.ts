import type { Scorer } from '../scorer.ts';
import { ash } from './ash.ts';
import { energy } from './energy.ts';
import { gen } from './gen.ts';
import { knn } from './knn.ts';
import { mahalanobis } from './mahalanobis.ts';
import { maxlogit } from './maxlogit.ts';
import { msp } from './msp.ts';
import { react } from './react.ts';
import { vim } from './vim.ts';

/** Every post-hoc scorer, in the paper's row order. Adding one: its file plus one line here. */
export const SCORERS: readonly Scorer<any>[] = [msp, energy, maxlogit, mahalanobis, react, ash, gen, knn, vim];

export function scorerById(id: string): Scorer<any> | undefined {
  return SCORERS.find((s) => s.id === id);
}
