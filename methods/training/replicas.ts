import * as tf from '@tensorflow/tfjs-core';
import { benchmarkTrainingDefaults, type BenchmarkData, type SplitData } from '../../datasets/benchmark.ts';
import type { SplitOutputs } from '../outputs.ts';
import { Random } from '../random.ts';
import { FusedAdam } from './adam.ts';
import { predictionDiscrepancy } from './diagnostics.ts';
import { type LossTermDefinition, type StepState, termsOf } from './loss-terms.ts';
import { MultimodalModel } from './model.ts';
import { ClassQueues } from './npmix.ts';
import type { RecipeOverrides, TrainingConfig, TrainingRecipe } from './recipe.ts';
import { RECIPES, recipeById } from './recipes/index.ts';
import {
  accuracyOf,
  BatchBuilder,
  checkData,
  type EpochRecord,
  type LossTerm,
  lossTerms,
  STREAM,
  splitOutputs,
  stepLoss,
  type StepLoss,
  type TrainResult,
  type TrainSpec,
  yieldToEventLoop,
} from './train.ts';

/**
 * Several cells trained in one loop: replicas that share the benchmark, the modality set, the
 * seed and every setting that shapes the batches (epochs, batch size, dropout, encoder, lr, weight
 * decay), e.g. the recipes of one seed. Their random streams are derived from the seed alone
 * (seed·7919 + purpose), so alone each would draw the same initial weights, the same shuffles and
 * the same dropout masks; here they draw them once:
 *   - one shuffle, one batch gathered and uploaded, one set of dropout masks per step, shared;
 *   - one gradient tape over the sum of the replicas' losses (their parameters are disjoint, so
 *     each replica's gradients are those of its own loss: d(sum)/d(L_r) = 1 exactly);
 *   - one optimiser over all replicas' parameters (FusedAdam, as trainModel), one read-back of
 *     the step's statistics;
 * while each replica keeps its own model, loss terms, NP-Mix queues and synthesis stream, its own
 * val accuracy, best epoch and outputs. Every replica gives the numbers trainModel gives it alone,
 * bit for bit (replicas.test.ts): the per-replica forward/backward graph is the same sequence of
 * kernels on the same operands, and the optimiser treats every parameter on its own.
 */

export interface ReplicaSpec {
  readonly recipe: TrainingRecipe | string;
  readonly overrides?: RecipeOverrides;
  readonly trainOutputs?: boolean;
  readonly onEpoch?: (record: EpochRecord, config: TrainingConfig) => void;
}

export interface ReplicaGroupSpec {
  readonly benchmark: TrainSpec['benchmark'];
  readonly modalities: readonly string[];
  readonly seed: number;
  readonly replicas: readonly ReplicaSpec[];
  /** Called after every step shared by the replicas. */
  readonly onStep?: TrainSpec['onStep'];
  readonly builtinGradient?: boolean;
}

/**
 * The settings that must agree for configs to train as replicas of one loop (same batches, same
 * masks, same shapes, one optimiser): a string, equal exactly when they can.
 */
export function replicaKey(cfg: TrainingConfig): string {
  return JSON.stringify([cfg.epochs, cfg.batchSize, cfg.dropout, [...cfg.noDropout].sort(), cfg.encoder.kind, cfg.encoder.hidden, cfg.encoder.rank ?? null, cfg.lr, cfg.weightDecay]);
}

function resolveRecipe(r: TrainingRecipe | string): TrainingRecipe {
  const recipe = typeof r === 'string' ? recipeById(r) : r;
  if (!recipe) throw new Error(`unknown recipe "${String(r)}"; known: ${RECIPES.map((x) => x.id).join(', ')}`);
  return recipe;
}

interface Replica {
  readonly spec: ReplicaSpec;
  readonly cfg: TrainingConfig;
  readonly model: MultimodalModel;
  readonly terms: readonly LossTermDefinition[];
  readonly termNames: LossTerm[];
  readonly state: StepState;
  readonly curve: EpochRecord[];
  best?: { epoch: number; acc: number; params: tf.Tensor[] };
  sums: Float64Array;
  correct: number;
  synthesisSteps: number;
}

export async function trainReplicas(data: BenchmarkData, group: ReplicaGroupSpec): Promise<TrainResult[]> {
  if (group.replicas.length === 0) return [];
  const defaults = benchmarkTrainingDefaults(group.benchmark, group.modalities);
  const resolved = group.replicas.map((r) => ({ spec: r, recipe: resolveRecipe(r.recipe) }));
  const cfgs = resolved.map(({ spec, recipe }) => recipe.configure(defaults, spec.overrides));
  const C = group.benchmark.classNames.length;
  const M = group.modalities.length;
  if (M < 1) throw new Error('train: no modality chosen');
  resolved.forEach(({ recipe }, i) => {
    const cfg = cfgs[i]!;
    if ((cfg.a2d || cfg.synthesis) && M < 2) throw new Error(`recipe ${recipe.id} needs at least two modalities, got ${group.modalities.join(', ')}`);
  });
  const key = replicaKey(cfgs[0]!);
  cfgs.forEach((c, i) => {
    if (replicaKey(c) !== key) throw new Error(`trainReplicas: replica ${i} (${resolved[i]!.recipe.id}) differs in a setting that shapes the batches (${replicaKey(c)} vs ${key})`);
  });
  const seed = group.seed;
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`seed ${seed}: expected a non-negative integer`);
  const { dims } = checkData(data, group.modalities, C);
  const stream = (purpose: number) => new Random(seed * 7919 + purpose);
  const shuffleRng = stream(STREAM.shuffle);
  const dropoutRng = stream(STREAM.dropout);
  const cfg0 = cfgs[0]!;

  const replicas: Replica[] = [];
  let adam: FusedAdam | undefined;
  try {
    for (let i = 0; i < resolved.length; i++) {
      const { spec, recipe } = resolved[i]!;
      const cfg = cfgs[i]!;
      const model = new MultimodalModel(
        { modalities: group.modalities.map((name, k) => ({ name, dim: dims[k]! })), numClasses: C, encoder: cfg.encoder },
        stream(STREAM.init),
        { builtinGradient: group.builtinGradient ?? false },
      );
      const terms = recipe.terms ?? termsOf(cfg);
      const syn = cfg.synthesis;
      const termNames = lossTerms(cfg, terms);
      replicas.push({
        spec,
        cfg,
        model,
        terms,
        termNames,
        state: { ...(syn ? { queues: new ClassQueues(C, model.embedDim, syn.queueSize) } : {}), synthRng: stream(STREAM.synthesis), synthesisOn: false },
        curve: [],
        sums: new Float64Array(1 + termNames.length),
        correct: 0,
        synthesisSteps: 0,
      });
    }
    const allVariables = replicas.flatMap((r) => r.model.variables);
    adam = new FusedAdam(allVariables, { lr: cfg0.lr, weightDecay: cfg0.weightDecay });

    const B = cfg0.batchSize;
    const trainLabels = data.train.labels!;
    const N = trainLabels.length;
    const steps = Math.floor(N / B);
    if (steps === 0) throw new Error(`train split has ${N} rows, fewer than one batch of ${B}`);
    const batches = new BatchBuilder(group.modalities.map((name) => data.train.features[name]!), trainLabels, dims, replicas[0]!.model.embedDims, group.modalities, cfg0);
    const order = Array.from({ length: N }, (_, i) => i);

    for (let epoch = 0; epoch < cfg0.epochs; epoch++) {
      const started = performance.now();
      shuffleRng.shuffle(order);
      for (const r of replicas) {
        r.sums = new Float64Array(1 + r.termNames.length);
        r.correct = 0;
        r.synthesisSteps = 0;
        const syn = r.cfg.synthesis;
        (r as { state: StepState }).state = { ...r.state, synthesisOn: syn !== undefined && epoch >= syn.startEpoch };
      }
      for (let s = 0; s < steps; s++) {
        const batch = batches.next(order.slice(s * B, (s + 1) * B), dropoutRng);
        const labels = batch.labels;
        const losses: StepLoss[] = [];
        const { value, grads } = tf.variableGrads(() => {
          let total: tf.Scalar | undefined;
          for (const r of replicas) {
            const l = stepLoss(r.model, r.cfg, batch, r.state, r.terms);
            losses.push(l);
            total = total ? tf.add(total, l.loss) : l.loss;
          }
          return total!;
        }, allVariables);
        adam.update(grads);
        tf.dispose([value, ...Object.values(grads), ...BatchBuilder.tensors(batch)]);
        // one read-back for every replica's statistics and predictions
        const statsAll = tf.tidy(() => tf.concat(losses.map((l) => l.stats)));
        const predsAll = tf.tidy(() => tf.concat(losses.map((l) => l.preds)));
        const stats = statsAll.dataSync() as Float32Array;
        const preds = predsAll.dataSync() as Int32Array;
        tf.dispose([statsAll, predsAll, ...losses.flatMap((l) => [l.stats, l.preds])]);
        let offset = 0;
        replicas.forEach((r, i) => {
          for (let j = 0; j < r.sums.length; j++) r.sums[j]! += stats[offset + j]!;
          offset += r.sums.length;
          for (let b = 0; b < B; b++) if (preds[i * B + b] === labels[b]) r.correct++;
          if (losses[i]!.synthesised) r.synthesisSteps++;
        });
        group.onStep?.({ epoch, epochs: cfg0.epochs, step: s + 1, steps });
        if ((s + 1) % 64 === 0) await yieldToEventLoop();
      }

      const seconds = (performance.now() - started) / 1000;
      for (const r of replicas) {
        const valAcc = accuracyOf(r.model, data.val, group.modalities);
        const termMeans: Partial<Record<LossTerm, number>> = {};
        r.termNames.forEach((t, i) => (termMeans[t] = r.sums[i + 1]! / steps));
        const record: EpochRecord = { epoch, loss: r.sums[0]! / steps, terms: termMeans, trainAcc: r.correct / (steps * B), valAcc, synthesisSteps: r.synthesisSteps, seconds };
        r.curve.push(record);
        if (!r.best || valAcc >= r.best.acc) {
          if (r.best) tf.dispose(r.best.params);
          r.best = { epoch, acc: valAcc, params: r.model.snapshot() };
        }
        r.spec.onEpoch?.(record, r.cfg);
      }
      await yieldToEventLoop();
    }

    const results: TrainResult[] = [];
    for (const r of replicas) {
      if (r.best) r.model.restore(r.best.params);
      const model = r.model;
      const split = (s: SplitData) => splitOutputs(model, s, group.modalities);
      const test = split(data.test);
      const ood = new Map<string, SplitOutputs>([...data.ood].map(([name, s]) => [name, split(s)]));
      const discrepancyOf = (o: SplitOutputs) => predictionDiscrepancy(group.modalities.map((n) => o.modalityLogits![n]!));
      results.push({
        outputs: {
          numClasses: C,
          modalities: model.slices,
          head: model.fusedHead(),
          id: { ...(r.spec.trainOutputs === false ? {} : { train: split(data.train) }), val: split(data.val), test },
          ood,
        },
        curve: r.curve,
        bestEpoch: r.best?.epoch ?? -1,
        bestValAcc: r.best?.acc ?? NaN,
        discrepancy: { lId: discrepancyOf(test), lOod: Object.fromEntries([...ood].map(([n, o]) => [n, discrepancyOf(o)])) },
        config: r.cfg,
      });
      // free this replica before the next one's outputs
      if (r.best) tf.dispose(r.best.params);
      r.best = undefined;
    }
    return results;
  } finally {
    adam?.dispose();
    for (const r of replicas) {
      if (r.best) tf.dispose(r.best.params);
      r.model.dispose();
    }
  }
}
