import type { z } from 'zod';
import type { FitContext, SplitOutputs } from './outputs.ts';

/** A fitted scorer: higher confidence means more in-distribution. */
export interface FittedScorer {
  /**
   * conf[i] for every row of the split. `pred` is returned by scorers that change the
   * classifier's decision (ReAct and ASH re-apply the fused head to modified features);
   * otherwise ID accuracy is read from the split's fused logits.
   */
  score(split: SplitOutputs): { conf: Float64Array; pred?: Int32Array };
  /**
   * Frees what the fitted scorer keeps outside the JavaScript heap between score() calls (KNN's
   * fit rows packed into the compute backend's wasm memories, which its workers also hold). The
   * harness calls it once after the last score(), also when one failed.
   */
  release?(): void;
}

/**
 * A post-hoc OOD scorer: one file in methods/scorers/, one line in the registry.
 * Settings are a zod schema whose defaults are the benchmark's fixed settings.
 */
export interface Scorer<S extends Record<string, unknown> = Record<string, unknown>> {
  readonly id: string;
  readonly title: string;
  /** One sentence a leaderboard reader can understand. */
  readonly summary: string;
  readonly paper: { readonly title: string; readonly url: string };
  /** Whether it fits statistics on ctx.fit (the Kinetics rule moves these to ID val). */
  readonly usesFitFeatures: boolean;
  /** Whether it reads ctx.val (ReAct's thresholds); the harness then loads ID val outputs. */
  readonly usesValFeatures?: boolean;
  readonly settings: z.ZodType<S>;
  fit(ctx: FitContext, settings: S): FittedScorer;
}

export function defineScorer<S extends Record<string, unknown>>(scorer: Scorer<S>): Scorer<S> {
  return scorer;
}
