import { z } from 'zod';
import type { TrainingDefaults } from '../../datasets/benchmark.ts';
import { type AnyDistance, type Distance, DISTANCES, UPSTREAM_DISTANCES } from './losses.ts';
import { TRAINING_CONSTANTS } from './defaults.ts';
import type { LossTermDefinition } from './loss-terms.ts';
import { ENCODER_KINDS, type EncoderKind, type EncoderSpec } from './model.ts';
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
    epochs: z.coerce.number().int().positive().max(100_000),
    lr: z.coerce.number().positive(),
    weightDecay: z.coerce.number().min(0),
    batchSize: z.coerce.number().int().min(2).max(1_000_000),
    dropout: z.coerce.number().min(0).lt(1),
    encoder: z.enum(ENCODER_KINDS as unknown as [EncoderKind, ...EncoderKind[]]),
    /** MLP encoder width */
    hidden: z.coerce.number().int().positive().max(65536),
    /** adapter rank */
    rank: z.coerce.number().int().positive().max(65536),
    /** weight of L_discr (A2D) */
    a2dWeight: z.coerce.number().min(0),
    /** weight of L_discr_syn (discrepancy on synthesised outliers) */
    ood: z.coerce.number().min(0),
    /** weight of L_ent (entropy on synthesised outliers) */
    ent: z.coerce.number().min(0),
    /** first epoch (0-based, as upstream's epoch_i) with outlier synthesis */
    startEpoch: z.coerce.number().int().min(0).max(100_000),
    /** distance of A2D and of the outlier discrepancy */
    distance: z.enum(ANY_DISTANCES),
    synthesis: z.enum(OUTLIER_SYNTHESES as [OutlierSynthesis, ...OutlierSynthesis[]]),
    /** LogitNorm temperature */
    tau: z.coerce.number().positive(),
    /** NP-Mix: embeddings kept per class */
    queueSize: z.coerce.number().int().min(2).max(1_000_000),
    /** NP-Mix: nearest prototypes searched, the class itself included */
    nnK: z.coerce.number().int().min(2).max(100_000),
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
  /** Modalities trained without dropout (upstream's audio model has none). */
  readonly noDropout: readonly string[];
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
  /**
   * The loss terms added to the classification loss (loss-terms.ts). Default: A2D where `a2d` is
   * declared, outlier synthesis where `synthesis` is. A recipe with a new loss lists its own term.
   */
  readonly terms?: readonly LossTermDefinition[];
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

/** Builds a recipe's `configure` from its declaration. */
export function defineRecipe(def: RecipeDefinition): TrainingRecipe {
  return {
    ...def,
    configure(defaults, overrides = {}) {
      const o = recipeOverridesSchema.parse(overrides);
      const misplaced = inapplicableSettings(def, o);
      if (misplaced) throw new Error(`recipe ${def.id} has no ${misplaced.what}: ${misplaced.keys.join(', ')} cannot be set`);
      const encoderKind = o.encoder ?? defaults.encoder;
      if (encoderKind !== 'mlp' && o.hidden !== undefined) throw new Error('hidden applies to the mlp encoder only');
      if (encoderKind !== 'adapter' && o.rank !== undefined) throw new Error('rank applies to the adapter encoder only');
      // One table: the constants, then the benchmark's values, then the user's.
      const k = { ...TRAINING_CONSTANTS, ...stripUndefined(defaults), ...stripUndefined(o) };

      const epochs = o.epochs ?? defaults.epochs[def.family];
      const a2dWeight = o.a2dWeight ?? (def.family === 'a2dNpmix' ? defaults.npmix.a2d : defaults.a2dWeight);
      const distance = o.distance ?? def.a2d ?? 'hellinger';
      const synthesisKind = o.synthesis ?? def.synthesis;
      const config: TrainingConfig = {
        epochs,
        lr: k.lr,
        weightDecay: k.weightDecay,
        batchSize: k.batchSize,
        dropout: k.dropout,
        noDropout: [...(defaults.noDropout ?? [])],
        encoder: { kind: encoderKind, hidden: k.hidden, ...(encoderKind === 'adapter' ? { rank: k.rank } : {}) },
        classification: { ...def.classification, tau: k.tau },
        ...(def.a2d ? { a2d: { weight: a2dWeight, distance } } : {}),
        ...(synthesisKind
          ? {
              synthesis: {
                kind: synthesisKind,
                oodWeight: o.ood ?? defaults.npmix.ood,
                entWeight: o.ent ?? defaults.npmix.ent,
                startEpoch: o.startEpoch ?? defaults.npmix.startEpoch,
                distance,
                queueSize: k.queueSize,
                nnK: k.nnK,
                alpha: k.alpha,
              },
            }
          : {}),
      };
      const empty = emptyComparison(def.id, config);
      if (empty) throw new Error(empty);
      return config;
    },
  };
}

/** The settings a recipe does not have (e.g. startEpoch on a recipe without outlier synthesis). */
function inapplicableSettings(def: RecipeDefinition, o: RecipeOverrides): { keys: (keyof RecipeOverrides)[]; what: string } | undefined {
  const given = (keys: (keyof RecipeOverrides)[]) => keys.filter((k) => o[k] !== undefined);
  const checks: [boolean, (keyof RecipeOverrides)[], string][] = [
    [!def.a2d && !def.synthesis, ['a2dWeight', 'distance'], 'A2D term'],
    [!def.synthesis, ['ood', 'ent', 'startEpoch', 'synthesis', 'queueSize', 'nnK', 'alpha'], 'outlier synthesis'],
    [!def.classification.logitNorm, ['tau'], 'LogitNorm loss'],
  ];
  for (const [lacks, keys, what] of checks) {
    const found = lacks ? given(keys) : [];
    if (found.length) return { keys: found, what };
  }
  return undefined;
}

/**
 * The overrides of a grid that apply to this recipe: a grid's `--set startEpoch=3` tunes the
 * recipes with outlier synthesis and leaves the others as they are.
 */
export function overridesFor(recipe: RecipeDefinition, o: RecipeOverrides): RecipeOverrides {
  const out: Record<string, unknown> = { ...o };
  let misplaced = inapplicableSettings(recipe, out as RecipeOverrides);
  while (misplaced) {
    for (const k of misplaced.keys) delete out[k];
    misplaced = inapplicableSettings(recipe, out as RecipeOverrides);
  }
  return out as RecipeOverrides;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Why a resolved config cannot differ from a simpler recipe's by construction, or undefined.
 * A2D and outlier synthesis act only through the unimodal heads; the fused head reaches them
 * only through an encoder shared with those heads. With identity encoders nothing is shared, so
 * the fused outputs, the features and every scorer on them equal those of the recipe without
 * these terms (A2D only rescales the fused gradient, which Adam undoes). Likewise outlier
 * synthesis that never starts, or whose terms weigh nothing, equals A2D alone.
 */
export function emptyComparison(recipeId: string, cfg: TrainingConfig): string | undefined {
  if (cfg.encoder.kind === 'identity' && (cfg.a2d || cfg.synthesis)) {
    return `recipe ${recipeId} with encoder=identity cannot change the fused head or the features (no parameter is shared with the unimodal heads it trains), so its results would equal the baseline's by construction; use --set encoder=adapter (the default on feature folders) or encoder=mlp`;
  }
  const syn = cfg.synthesis;
  if (syn && syn.startEpoch >= cfg.epochs) {
    return `recipe ${recipeId}: outlier synthesis starts at epoch ${syn.startEpoch} (0-based) but training runs ${cfg.epochs} epochs, so it would equal A2D alone by construction; lower --set startEpoch or raise --set epochs`;
  }
  if (syn && syn.oodWeight === 0 && syn.entWeight === 0) {
    return `recipe ${recipeId}: outlier terms weigh 0 (ood=0, ent=0), so it would equal A2D alone by construction; give --set ood or ent a positive weight`;
  }
  return undefined;
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
