import * as tf from '@tensorflow/tfjs-core';
import { benchmarkTrainingDefaults, releaseFeatures, type Benchmark, type BenchmarkData, type SplitData } from '../../datasets/benchmark.ts';
import { matrix32, type FloatMatrix } from '../linalg/matrix.ts';
import type { ModelOutputs, SplitOutputs } from '../outputs.ts';
import { collectGarbage, featureBytes } from '../memory.ts';
import { Random } from '../random.ts';
import { FusedAdam } from './adam.ts';
import { type BatchArrays, DirectStep } from './direct/step.ts';
import { predictionDiscrepancy } from './diagnostics.ts';
import { type LossTermDefinition, type StepBatch, type StepState, termsOf } from './loss-terms.ts';
import { classificationLoss } from './losses.ts';
import { MultimodalModel } from './model.ts';
import { ClassQueues } from './npmix.ts';
import type { RecipeOverrides, TrainingConfig, TrainingRecipe } from './recipe.ts';
import { RECIPES, recipeById } from './recipes/index.ts';

/**
 * The training loop of the benchmark (docs/multiood-facts.md §5): Adam on shuffled batches (last partial
 * batch dropped), ID val accuracy after every epoch, the best epoch's parameters kept (ties go to
 * the later epoch), then the Outputs of every split computed with those parameters in eval mode.
 *
 * Every random draw comes from seeded streams (one each for initialisation, shuffling, dropout
 * masks and outlier synthesis), so the same seed on the same backend gives identical numbers,
 * and a recipe that draws outliers does not shift the shuffles or masks of one that does not.
 */

export interface TrainSpec {
  readonly benchmark: Pick<Benchmark, 'id' | 'classNames' | 'training' | 'trainingFor'>;
  /** Modality names in concatenation order (keys of each split's features). */
  readonly modalities: readonly string[];
  /** A recipe, or its id in the registry. */
  readonly recipe: TrainingRecipe | string;
  readonly seed: number;
  readonly overrides?: RecipeOverrides;
  /**
   * Whether to compute ID train outputs (default true). A benchmark whose scorers fit on ID val
   * (Kinetics-600) does not need them, and they are the largest split.
   */
  readonly trainOutputs?: boolean;
  /** Called after every epoch with its record. */
  readonly onEpoch?: (record: EpochRecord, config: TrainingConfig) => void;
  /** Called after every training step (progress displays throttle it themselves). */
  readonly onStep?: (progress: TrainProgress) => void;
  /** Use tf's own matMul gradients instead of the explicit-transpose dense layer (benchmarks). */
  readonly builtinGradient?: boolean;
  /**
   * Whether steps may run without TF.js's engine where the model and recipe allow it (default
   * true; direct/step.ts: bitwise the same parameters). False forces TF.js's step (tests compare the two).
   */
  readonly directStep?: boolean;
  /**
   * The caller hands `data` over (the pipeline, which loaded it for this one model): each split's
   * input features are dropped (releaseFeatures) as soon as that split's outputs exist, and ID
   * train's right after the last epoch when its outputs are not wanted, so that a cell never holds
   * every split's inputs and outputs at once. `data` must not be used afterwards. Training then
   * also collects garbage every GC_STEPS steps (each step leaves a few MiB of read-back
   * parameters and gradients, which the runtime would otherwise let pile up to ~1 GiB).
   */
  readonly releaseInputs?: boolean;
}

export interface TrainProgress {
  /** 0-based, as upstream's epoch_i */
  readonly epoch: number;
  readonly epochs: number;
  /** steps done in this epoch */
  readonly step: number;
  readonly steps: number;
}

/** Names of the loss terms, unweighted: cls (classification), then the recipe's terms (a2d: L_discr, ood: L_discr_syn, ent: L_ent). */
export type LossTerm = string;

export interface EpochRecord {
  /** 0-based, as upstream's epoch_i and start_epoch */
  readonly epoch: number;
  /** Mean total (weighted) loss over the epoch's steps. */
  readonly loss: number;
  /** Mean of each unweighted loss term over the epoch's steps (ood/ent are 0 on steps without outliers, as upstream). */
  readonly terms: Readonly<Partial<Record<LossTerm, number>>>;
  /** Accuracy of the fused head on the training batches, in training mode (dropout on). */
  readonly trainAcc: number;
  readonly valAcc: number;
  /** Steps of this epoch that synthesised outliers. */
  readonly synthesisSteps: number;
  readonly seconds: number;
}

export interface TrainResult {
  readonly outputs: ModelOutputs;
  readonly curve: readonly EpochRecord[];
  /** 0-based epoch whose parameters produced the outputs. */
  readonly bestEpoch: number;
  readonly bestValAcc: number;
  /** Modality prediction discrepancy (paper Fig. 4) on ID test and on each OOD set; NaN with one modality. */
  readonly discrepancy: { readonly lId: number; readonly lOod: Readonly<Record<string, number>> };
  readonly config: TrainingConfig;
}

/** Random streams by purpose (seed·7919 + purpose, as datasets/synthetic does). */
export const STREAM = { init: 1, shuffle: 2, dropout: 3, synthesis: 4 } as const;
const EVAL_BATCH = 512;
/** Steps between garbage collections when the trainer owns its data (releaseInputs). */
const GC_STEPS = 16;

/**
 * Inverted-dropout mask as torch.nn.Dropout draws it in distribution: each entry kept with
 * probability 1 - p and scaled by 1 / (1 - p). For p = 0.5, one 32-bit draw covers 32 entries.
 */
export function fillDropoutMask(rng: Random, out: Float32Array, p: number): void {
  if (p === 0) {
    out.fill(1);
    return;
  }
  const scale = 1 / (1 - p);
  if (p === 0.5) {
    for (let i = 0; i < out.length; i += 32) {
      const bits = rng.nextUint32();
      const end = Math.min(32, out.length - i);
      for (let b = 0; b < end; b++) out[i + b] = (bits >>> b) & 1 ? scale : 0;
    }
    return;
  }
  const threshold = p * 4294967296;
  for (let i = 0; i < out.length; i++) out[i] = rng.nextUint32() >= threshold ? scale : 0;
}

export function checkData(data: BenchmarkData, modalities: readonly string[], numClasses: number): { dims: number[] } {
  const splits: [string, SplitData][] = [['train', data.train], ['val', data.val], ['test', data.test], ...[...data.ood].map(([n, s]) => [`OOD ${n}`, s] as [string, SplitData])];
  const dims = modalities.map((name) => {
    const m = data.train.features[name];
    if (!m) throw new Error(`train split has no modality "${name}" (has ${Object.keys(data.train.features).join(', ')})`);
    return m.cols;
  });
  for (const [label, split] of splits) {
    let rows: number | undefined;
    modalities.forEach((name, k) => {
      const m = split.features[name];
      if (!m) throw new Error(`${label} split has no modality "${name}"`);
      if (m.cols !== dims[k]) throw new Error(`${label} split: modality ${name} has ${m.cols} columns, train has ${dims[k]}`);
      if (rows !== undefined && m.rows !== rows) throw new Error(`${label} split: modalities have ${rows} and ${m.rows} rows`);
      rows = m.rows;
    });
    if (!label.startsWith('OOD')) {
      if (!split.labels || split.labels.length !== rows) throw new Error(`${label} split: labels missing or not one per row`);
      for (const y of split.labels) if (!(y >= 0 && y < numClasses)) throw new Error(`${label} split: label ${y} outside 0..${numClasses - 1}`);
    }
  }
  return { dims };
}

/** Gathers rows `idx` of modality k into a float32 batch, optionally multiplied by a mask. */
export function gatherRows(m: FloatMatrix, idx: ArrayLike<number>, out: Float32Array, mask?: Float32Array): void {
  const d = m.cols;
  for (let r = 0; r < idx.length; r++) {
    const src = idx[r]! * d;
    const dst = r * d;
    if (mask) for (let j = 0; j < d; j++) out[dst + j] = m.data[src + j]! * mask[dst + j]!;
    else for (let j = 0; j < d; j++) out[dst + j] = m.data[src + j]!;
  }
}

/**
 * The training batches of one run: reused input and dropout-mask buffers, filled per step in a
 * fixed order (every modality's mask from `rng`, then the inputs), so that training alone
 * (trainModel) and several recipes in one loop (trainReplicas) draw the same numbers.
 */
export class BatchBuilder {
  private readonly inputBufs: Float32Array[];
  private readonly maskBufs: (Float32Array | undefined)[];
  private readonly dropoutRates: number[];
  private readonly identity: boolean;

  constructor(
    private readonly features: readonly FloatMatrix[],
    private readonly labels: Int32Array,
    private readonly dims: readonly number[],
    private readonly embedDims: readonly number[],
    modalities: readonly string[],
    cfg: Pick<TrainingConfig, 'batchSize' | 'dropout' | 'noDropout' | 'encoder'>,
  ) {
    const B = cfg.batchSize;
    this.identity = cfg.encoder.kind === 'identity';
    this.inputBufs = dims.map((d) => new Float32Array(B * d));
    // Dropout rate per modality: none where the benchmark says so (upstream's audio), none at 0.
    this.dropoutRates = modalities.map((name) => (cfg.noDropout.includes(name) ? 0 : cfg.dropout));
    this.maskBufs = embedDims.map((d, k) => (this.dropoutRates[k]! > 0 ? new Float32Array(B * d) : undefined));
  }

  /**
   * The batch of rows `idx` as arrays: the builder's own buffers, valid until the next call.
   * Identity encoders: Z^k is the masked input, built here (no masks, and the queue gets the
   * embedding without reading it back).
   */
  nextArrays(idx: readonly number[], rng: Random): BatchArrays {
    const M = this.dims.length;
    const labels = Int32Array.from(idx, (i) => this.labels[i]!);
    for (let k = 0; k < M; k++) if (this.maskBufs[k]) fillDropoutMask(rng, this.maskBufs[k]!, this.dropoutRates[k]!);
    for (let k = 0; k < M; k++) gatherRows(this.features[k]!, idx, this.inputBufs[k]!, this.identity ? this.maskBufs[k] : undefined);
    return { inputs: this.inputBufs, ...(this.identity ? {} : { masks: this.maskBufs }), labels };
  }

  /** The batch of rows `idx` as tensors (free them with `dispose`). */
  next(idx: readonly number[], rng: Random): StepBatch {
    const B = idx.length;
    const { inputs, masks, labels } = this.nextArrays(idx, rng);
    return {
      inputs: this.dims.map((d, k) => tf.tensor2d(inputs[k]!, [B, d])),
      masks: masks && this.embedDims.map((d, k) => (masks[k] ? tf.tensor2d(masks[k]!, [B, d]) : undefined)),
      labels,
      labelsT: tf.tensor1d(labels, 'int32'),
      ...(this.identity ? { zCpu: this.inputBufs } : {}),
    };
  }

  /** The tensors of a batch `next` made. */
  static tensors(batch: StepBatch): tf.Tensor[] {
    return [...batch.inputs, ...(batch.masks ?? []).filter((m): m is tf.Tensor2D => m !== undefined), batch.labelsT];
  }
}

function rowRange(start: number, end: number): Int32Array {
  return Int32Array.from({ length: end - start }, (_, i) => start + i);
}

export const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function trainModel(data: BenchmarkData, spec: TrainSpec): Promise<TrainResult> {
  const recipe = typeof spec.recipe === 'string' ? recipeById(spec.recipe) : spec.recipe;
  if (!recipe) throw new Error(`unknown recipe "${String(spec.recipe)}"; known: ${RECIPES.map((r) => r.id).join(', ')}`);
  const cfg = recipe.configure(benchmarkTrainingDefaults(spec.benchmark, spec.modalities), spec.overrides);
  const C = spec.benchmark.classNames.length;
  const M = spec.modalities.length;
  if (M < 1) throw new Error('train: no modality chosen');
  if ((cfg.a2d || cfg.synthesis) && M < 2) throw new Error(`recipe ${recipe.id} needs at least two modalities, got ${spec.modalities.join(', ')}`);
  if (!Number.isInteger(spec.seed) || spec.seed < 0) throw new Error(`seed ${spec.seed}: expected a non-negative integer`);
  const { dims } = checkData(data, spec.modalities, C);
  const stream = (purpose: number) => new Random(spec.seed * 7919 + purpose);
  const shuffleRng = stream(STREAM.shuffle);
  const dropoutRng = stream(STREAM.dropout);
  const synthRng = stream(STREAM.synthesis);

  const model = new MultimodalModel(
    { modalities: spec.modalities.map((name, k) => ({ name, dim: dims[k]! })), numClasses: C, encoder: cfg.encoder },
    stream(STREAM.init),
    { builtinGradient: spec.builtinGradient ?? false },
  );
  const terms = recipe.terms ?? termsOf(cfg);
  const direct = spec.directStep === false || spec.builtinGradient ? undefined : DirectStep.create(model, cfg, terms);
  const adam = direct ? undefined : new FusedAdam(model.variables, { lr: cfg.lr, weightDecay: cfg.weightDecay });
  const syn = cfg.synthesis;
  const queues = syn ? new ClassQueues(C, model.embedDim, syn.queueSize) : undefined;
  const B = cfg.batchSize;
  const trainLabels = data.train.labels!;
  const N = trainLabels.length;
  const steps = Math.floor(N / B);
  if (steps === 0) throw new Error(`train split has ${N} rows, fewer than one batch of ${B}`);
  let batches: BatchBuilder | undefined = new BatchBuilder(spec.modalities.map((name) => data.train.features[name]!), trainLabels, dims, model.embedDims, spec.modalities, cfg);
  const termNames = lossTerms(cfg, terms);

  const curve: EpochRecord[] = [];
  let best: { epoch: number; acc: number; params: tf.Tensor[] } | undefined;
  // Each step reads every parameter and its gradient back (FusedAdam): GC_STEPS steps' worth.
  const stepGarbage = GC_STEPS * 2 * 4 * model.variables.reduce((n, v) => n + v.size, 0);
  const order = Array.from({ length: N }, (_, i) => i);

  try {
    for (let epoch = 0; epoch < cfg.epochs; epoch++) {
      const started = performance.now();
      shuffleRng.shuffle(order);
      const sums = new Float64Array(1 + termNames.length);
      let correct = 0;
      let synthesisSteps = 0;
      const synthesisOn = syn !== undefined && epoch >= syn.startEpoch;

      for (let s = 0; s < steps; s++) {
        const idx = order.slice(s * B, (s + 1) * B);
        const state = { ...(queues ? { queues } : {}), synthRng, synthesisOn };
        let result: StepResult;
        let labels: Int32Array;
        if (direct) {
          const arrays = batches!.nextArrays(idx, dropoutRng);
          labels = arrays.labels;
          result = direct.step(arrays, state);
        } else {
          const batch = batches!.next(idx, dropoutRng);
          labels = batch.labels;
          result = trainStep(model, adam!, cfg, batch, state, terms);
          tf.dispose(BatchBuilder.tensors(batch));
        }
        for (let i = 0; i < sums.length; i++) sums[i]! += result.stats[i]!;
        for (let r = 0; r < B; r++) if (result.preds[r] === labels[r]) correct++;
        if (result.synthesised) synthesisSteps++;
        spec.onStep?.({ epoch, epochs: cfg.epochs, step: s + 1, steps });
        if (spec.releaseInputs && (s + 1) % GC_STEPS === 0) collectGarbage(stepGarbage);
        if ((s + 1) % 64 === 0) await yieldToEventLoop();
      }

      direct?.writeBack();
      const valAcc = accuracyOf(model, data.val, spec.modalities);
      const termMeans: Partial<Record<LossTerm, number>> = {};
      termNames.forEach((t, i) => (termMeans[t] = sums[i + 1]! / steps));
      const record: EpochRecord = {
        epoch,
        loss: sums[0]! / steps,
        terms: termMeans,
        trainAcc: correct / (steps * B),
        valAcc,
        synthesisSteps,
        seconds: (performance.now() - started) / 1000,
      };
      curve.push(record);
      if (!best || valAcc >= best.acc) {
        if (best) tf.dispose(best.params);
        best = { epoch, acc: valAcc, params: model.snapshot() };
      }
      spec.onEpoch?.(record, cfg);
      await yieldToEventLoop();
    }

    if (best) model.restore(best.params);
    batches = undefined;
    const release = async (s: SplitData) => {
      if (!spec.releaseInputs) return;
      const bytes = featureBytes(Object.values(s.features));
      releaseFeatures(s);
      // From a fresh turn of the event loop: the collector also scans the native stack, where
      // the frames that just read the split may still hold a pointer to its arrays.
      await yieldToEventLoop();
      collectGarbage(bytes);
    };
    const wantTrain = spec.trainOutputs !== false;
    if (!wantTrain) await release(data.train);
    const split = async (s: SplitData) => {
      const out = splitOutputs(model, s, spec.modalities);
      await release(s);
      return out;
    };
    const train = wantTrain ? await split(data.train) : undefined;
    const val = await split(data.val);
    const test = await split(data.test);
    const ood = new Map<string, SplitOutputs>();
    for (const [name, s] of data.ood) ood.set(name, await split(s));
    const names = spec.modalities;
    const discrepancyOf = (o: SplitOutputs) => predictionDiscrepancy(names.map((n) => o.modalityLogits![n]!));
    return {
      outputs: {
        numClasses: C,
        modalities: model.slices,
        head: model.fusedHead(),
        id: { ...(train ? { train } : {}), val, test },
        ood,
      },
      curve,
      bestEpoch: best?.epoch ?? -1,
      bestValAcc: best?.acc ?? NaN,
      discrepancy: { lId: discrepancyOf(test), lOod: Object.fromEntries([...ood].map(([n, o]) => [n, discrepancyOf(o)])) },
      config: cfg,
    };
  } finally {
    if (best) tf.dispose(best.params);
    adam?.dispose();
    model.dispose();
  }
}

/** The unweighted loss terms a config reports, in the order trainStep's stats give them. */
export function lossTerms(cfg: TrainingConfig, terms: readonly LossTermDefinition[] = termsOf(cfg)): LossTerm[] {
  return ['cls', ...terms.flatMap((t) => t.names)];
}

export type { StepBatch, StepState } from './loss-terms.ts';

export interface StepResult {
  /** [total loss, ...lossTerms(cfg)] of this step (before the update). */
  readonly stats: Float32Array;
  /** Fused-head predictions on the batch (training mode). */
  readonly preds: Int32Array;
  readonly synthesised: boolean;
}

/**
 * One optimisation step: forward, the classification loss, the recipe's loss terms (each added
 * through the LossTermDefinition hook), gradients, one Adam update.
 */
export function trainStep(
  model: MultimodalModel,
  adam: { update(grads: tf.NamedTensorMap): void },
  cfg: TrainingConfig,
  batch: StepBatch,
  state: StepState,
  terms: readonly LossTermDefinition[] = termsOf(cfg),
): StepResult {
  let step: StepLoss | undefined;
  const { value, grads } = tf.variableGrads(() => {
    step = stepLoss(model, cfg, batch, state, terms);
    return step.loss;
  }, model.variables);
  adam.update(grads);
  tf.dispose([value, ...Object.values(grads)]);
  const { stats, preds, synthesised } = step!;
  const result = { stats: stats.dataSync() as Float32Array, preds: preds.dataSync() as Int32Array, synthesised };
  tf.dispose([stats, preds]);
  return result;
}

/** What stepLoss gives: the loss to differentiate, and the kept (caller-disposed) stats and predictions. */
export interface StepLoss {
  readonly loss: tf.Scalar;
  /** [total loss, ...lossTerms(cfg)], kept out of the enclosing scope. */
  readonly stats: tf.Tensor1D;
  /** Fused-head argmax on the batch, kept. */
  readonly preds: tf.Tensor1D;
  readonly synthesised: boolean;
}

/**
 * The loss of one training step (forward, the classification loss, the recipe's terms), to be
 * called inside a gradient tape: trainStep differentiates it for one model, trainReplicas the sum
 * over several models of it.
 */
export function stepLoss(model: MultimodalModel, cfg: TrainingConfig, batch: StepBatch, state: StepState, terms: readonly LossTermDefinition[] = termsOf(cfg)): StepLoss {
  const needUnimodal = cfg.classification.perModality || terms.some((t) => t.usesUnimodalLogits);
  let synthesised = false;
  const out = model.forward(batch.inputs, batch.masks, { unimodal: needUnimodal });
  const cls = classificationLoss(out.fused, out.unimodal, batch.labelsT, cfg.classification);
  const reported: tf.Scalar[] = [cls];
  let loss: tf.Scalar = cls;
  for (const term of terms) {
    const v = term.compute({ model, cfg, out, batch, state });
    if (v.values.length !== term.names.length) throw new Error(`loss term ${term.names.join('/')}: ${v.values.length} values for ${term.names.length} names`);
    reported.push(...v.values);
    if (v.weighted) loss = tf.add(loss, v.weighted);
    if (v.synthesised) synthesised = true;
  }
  const stats = tf.keep(tf.stack([loss, ...reported])) as tf.Tensor1D;
  const preds = tf.keep(tf.argMax(out.fused, 1)) as tf.Tensor1D;
  return { loss, stats, preds, synthesised };
}

/** Eval-mode forward over a split in chunks; `visit` reads each chunk's results before they are freed. */
function forEachChunk(
  model: MultimodalModel,
  split: SplitData,
  modalities: readonly string[],
  visit: (start: number, rows: number, out: { fused: Float32Array; unimodal: Float32Array[]; z: Float32Array[] } | { preds: Int32Array }) => void,
  mode: 'full' | 'preds',
): void {
  const feats = modalities.map((n) => split.features[n]!);
  const N = feats[0]!.rows;
  // One input buffer per modality for every chunk: each chunk's tensors are disposed (tidy)
  // before the next chunk refills it, so even a backend that keeps the array is safe.
  const bufs = feats.map((m) => new Float32Array(Math.min(EVAL_BATCH, N) * m.cols));
  for (let start = 0; start < N; start += EVAL_BATCH) {
    const end = Math.min(N, start + EVAL_BATCH);
    const idx = rowRange(start, end);
    const rows = end - start;
    tf.tidy(() => {
      const inputs = feats.map((m, k) => {
        const buf = bufs[k]!.subarray(0, rows * m.cols);
        gatherRows(m, idx, buf);
        return tf.tensor2d(buf, [rows, m.cols]);
      });
      if (mode === 'preds') {
        const out = model.forward(inputs, undefined, { unimodal: false });
        visit(start, rows, { preds: tf.argMax(out.fused, 1).dataSync() as Int32Array });
      } else {
        const out = model.forward(inputs);
        visit(start, rows, {
          fused: out.fused.dataSync() as Float32Array,
          unimodal: out.unimodal.map((t) => t.dataSync() as Float32Array),
          z: out.z.map((t) => t.dataSync() as Float32Array),
        });
      }
    });
  }
}

export function accuracyOf(model: MultimodalModel, split: SplitData, modalities: readonly string[]): number {
  const labels = split.labels!;
  let correct = 0;
  forEachChunk(model, split, modalities, (start, rows, out) => {
    const preds = (out as { preds: Int32Array }).preds;
    for (let r = 0; r < rows; r++) if (preds[r] === labels[start + r]) correct++;
  }, 'preds');
  return labels.length === 0 ? NaN : correct / labels.length;
}

/**
 * Fused logits, per-modality logits and Z of one split, in eval mode (no dropout), kept in float32
 * as the model computed them (a float64 copy would double the largest allocation of a cell).
 */
export function splitOutputs(model: MultimodalModel, split: SplitData, modalities: readonly string[]): SplitOutputs {
  const N = split.features[modalities[0]!]!.rows;
  const C = model.numClasses;
  const D = model.embedDim;
  const fused = new Float32Array(N * C);
  const unimodal = modalities.map(() => new Float32Array(N * C));
  const features = new Float32Array(N * D);
  const widths = model.embedDims;
  forEachChunk(model, split, modalities, (start, rows, out) => {
    const o = out as { fused: Float32Array; unimodal: Float32Array[]; z: Float32Array[] };
    fused.set(o.fused, start * C);
    o.unimodal.forEach((u, k) => unimodal[k]!.set(u, start * C));
    let offset = 0;
    o.z.forEach((zk, k) => {
      const w = widths[k]!;
      for (let r = 0; r < rows; r++) features.set(zk.subarray(r * w, (r + 1) * w), (start + r) * D + offset);
      offset += w;
    });
  }, 'full');
  return {
    logits: matrix32(N, C, fused),
    features: matrix32(N, D, features),
    modalityLogits: Object.fromEntries(modalities.map((n, k) => [n, matrix32(N, C, unimodal[k]!)])),
    ...(split.labels ? { labels: Int32Array.from(split.labels) } : {}),
  };
}
