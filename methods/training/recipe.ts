import { z } from 'zod';
import type { TrainingDefaults } from '../../datasets/benchmark.ts';
import { type AnyDistance, type Distance, DISTANCES, UPSTREAM_DISTANCES } from './losses.ts';
import type { EncoderSpec } from './model.ts';
import { OUTLIER_SYNTHESES, type OutlierSynthesis } from './outlier-synthesis.ts';

/**
 * A training recipe: one file in methods/training/recipes/, one line in the registry. A recipe is
 * declarative: which classification loss, whether A2D runs and with which distance, whether
 * outliers are synthesised and how. `configure` turns it, the benchmark's upstream defaults and
 * the user's overrides into the one TrainingConfig the training loop reads.
 */

const ANY_DISTANCES = [...DISTANCES, ...UPSTREAM_DISTANCES] as [AnyDistance, ...AnyDistance[]];

/** Everything a user may override (`--set key=value`); absent keys keep the recipe's defaults. */
export const recipeOverridesSchema = z
  .object({
    epochs: z.coerce.number().int().positive(),
    lr: z.coerce.number().positive(),
    weightDecay: z.coerce.number().min(0),
    batchSize: z.coerce.number().int().min(2),
    dropout: z.coerce.number().min(0).lt(1),
    encoder: z.enum(['identity', 'mlp']),
    /** MLP encoder width */
    hidden: z.coerce.number().int().positive(),
    /** weight of L_discr (A2D) */
    a2dWeight: z.coerce.number().min(0),
    /** weight of L_discr_syn (discrepancy on synthesised outliers) */
    ood: z.coerce.number().min(0),
    /** weight of L_ent (entropy on synthesised outliers) */
    ent: z.coerce.number().min(0),
    /** first epoch (0-based, as upstream's epoch_i) with outlier synthesis */
    startEpoch: z.coerce.number().int().min(0),
    /** distance of A2D and of the outlier discrepancy */
    distance: z.enum(ANY_DISTANCES),
    synthesis: z.enum(OUTLIER_SYNTHESES as [OutlierSynthesis, ...OutlierSynthesis[]]),
    /** LogitNorm temperature */
    tau: z.coerce.number().positive(),
    /** NP-Mix: embeddings kept per class */
    queueSize: z.coerce.number().int().min(2),
    /** NP-Mix: nearest prototypes searched, the class itself included */
    nnK: z.coerce.number().int().min(2),
    /** NP-Mix: Beta(alpha, alpha) mixing coefficient */
    alpha: z.coerce.number().positive(),
  })
  .partial()
  .strict();

export type RecipeOverrides = z.infer<typeof recipeOverridesSchema>;

/** What the training loop runs: every number resolved. */
export interface TrainingConfig {
  readonly epochs: number;
  readonly lr: number;
  readonly weightDecay: number;
  readonly batchSize: number;
  readonly dropout: number;
  readonly encoder: EncoderSpec;
  /** CE (or LogitNorm CE) on the fused head, or averaged over the fused and every unimodal head. */
  readonly classification: { readonly perModality: boolean; readonly logitNorm: boolean; readonly tau: number };
  /** Agree-to-Disagree on the unimodal heads, with its weight. */
  readonly a2d?: { readonly weight: number; readonly distance: AnyDistance };
  /** Outliers synthesised from the class queues, passed through the unimodal heads only. */
  readonly synthesis?: {
    readonly kind: OutlierSynthesis;
    readonly oodWeight: number;
    readonly entWeight: number;
    readonly startEpoch: number;
    readonly distance: AnyDistance;
    readonly queueSize: number;
    readonly nnK: number;
    readonly alpha: number;
  };
}

/** Which of the benchmark's upstream epoch counts and weights a recipe takes. */
export type RecipeFamily = 'baseline' | 'a2d' | 'a2dNpmix';

export interface RecipeDefinition {
  readonly id: string;
  readonly title: string;
  /** One sentence a leaderboard reader can understand. */
  readonly summary: string;
  readonly paper: { readonly title: string; readonly url: string };
  readonly family: RecipeFamily;
  readonly classification: { readonly perModality: boolean; readonly logitNorm: boolean };
  /** A2D with this distance (absent: no A2D term). */
  readonly a2d?: AnyDistance;
  /** Outlier synthesis of this kind (absent: none). */
  readonly synthesis?: OutlierSynthesis;
}

export interface TrainingRecipe extends RecipeDefinition {
  configure(defaults: TrainingDefaults, overrides?: RecipeOverrides): TrainingConfig;
}

export const A2D_PAPER = {
  title: 'MultiOOD: Scaling Out-of-Distribution Detection for Multiple Modalities (Dong et al., NeurIPS 2024)',
  url: 'https://arxiv.org/abs/2405.17419',
} as const;

export const LOGITNORM_PAPER = {
  title: 'Mitigating Neural Network Overconfidence with Logit Normalization (Wei et al., ICML 2022)',
  url: 'https://arxiv.org/abs/2205.09310',
} as const;

/** The upstream constants that no benchmark changes. */
export const UPSTREAM = {
  lr: 1e-4,
  weightDecay: 1e-4,
  batchSize: 16,
  dropout: 0.5,
  hidden: 128,
  tau: 0.04,
  queueSize: 65,
  nnK: 3,
  alpha: 10,
} as const;

/** Builds a recipe's `configure` from its declaration. */
export function defineRecipe(def: RecipeDefinition): TrainingRecipe {
  return {
    ...def,
    configure(defaults, overrides = {}) {
      const o = recipeOverridesSchema.parse(overrides);
      const misplaced = (keys: (keyof RecipeOverrides)[], what: string) => {
        const given = keys.filter((k) => o[k] !== undefined);
        if (given.length) throw new Error(`recipe ${def.id} has no ${what}: ${given.join(', ')} cannot be set`);
      };
      if (!def.a2d && !def.synthesis) misplaced(['a2dWeight', 'distance'], 'A2D term');
      if (!def.synthesis) misplaced(['ood', 'ent', 'startEpoch', 'synthesis', 'queueSize', 'nnK', 'alpha'], 'outlier synthesis');
      if (!def.classification.logitNorm) misplaced(['tau'], 'LogitNorm loss');
      const encoderKind = o.encoder ?? defaults.encoder;
      if (encoderKind === 'identity' && o.hidden !== undefined) throw new Error('hidden applies to the mlp encoder only');

      const epochs = o.epochs ?? defaults.epochs[def.family];
      const a2dWeight = o.a2dWeight ?? (def.family === 'a2dNpmix' ? defaults.npmix.a2d : defaults.a2dWeight);
      const distance = o.distance ?? def.a2d ?? 'hellinger';
      const synthesisKind = o.synthesis ?? def.synthesis;
      return {
        epochs,
        lr: o.lr ?? UPSTREAM.lr,
        weightDecay: o.weightDecay ?? UPSTREAM.weightDecay,
        batchSize: o.batchSize ?? UPSTREAM.batchSize,
        dropout: o.dropout ?? UPSTREAM.dropout,
        encoder: { kind: encoderKind, hidden: o.hidden ?? defaults.hidden ?? UPSTREAM.hidden },
        classification: { ...def.classification, tau: o.tau ?? UPSTREAM.tau },
        ...(def.a2d ? { a2d: { weight: a2dWeight, distance } } : {}),
        ...(synthesisKind
          ? {
              synthesis: {
                kind: synthesisKind,
                oodWeight: o.ood ?? defaults.npmix.ood,
                entWeight: o.ent ?? defaults.npmix.ent,
                startEpoch: o.startEpoch ?? defaults.npmix.startEpoch,
                distance,
                queueSize: o.queueSize ?? UPSTREAM.queueSize,
                nnK: o.nnK ?? UPSTREAM.nnK,
                alpha: o.alpha ?? UPSTREAM.alpha,
              },
            }
          : {}),
      };
    },
  };
}

/** Parses `key=value` assignments (the CLI's --set) into validated overrides. */
export function parseOverrideAssignments(assignments: readonly string[]): RecipeOverrides {
  const raw: Record<string, string> = {};
  for (const a of assignments) {
    const m = /^([A-Za-z][A-Za-z0-9_]*)=(.*)$/.exec(a);
    if (!m) throw new Error(`${a}: expected KEY=VALUE, e.g. epochs=5`);
    raw[m[1]!] = m[2]!;
  }
  const parsed = recipeOverridesSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = issue.path.join('.');
    const known = Object.keys(recipeOverridesSchema.shape).join(', ');
    throw new Error(issue.code === 'unrecognized_keys' ? `unknown training setting ${issue.keys.join(', ')}; known: ${known}` : `${key}: ${issue.message}`);
  }
  return parsed.data;
}
