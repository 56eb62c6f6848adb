import { findBenchmark } from '../../datasets/registry.ts';
import { scorerById } from '../../methods/scorers/index.ts';
import { recipeById } from '../../methods/training/recipes/index.ts';
import type { TrainResult } from '../../methods/training/train.ts';
import { evaluate, type Evaluation, type ScorerRun } from '../evaluate.ts';
import { finiteOrNull, runTraining } from '../pipeline.ts';
import type { CellDiagnostics, FinishedCell, ResultRow } from '../store/contract.ts';
import { readCachedTraining, writeCachedTraining } from './outputs-cache.ts';
import type { CellTask } from './plan.ts';

export const HISTOGRAM_BINS = 30;

/** What a running cell reports: training progress, and whether it came from the outputs cache. */
export type CellEvent =
  | { readonly kind: 'progress'; readonly epoch: number; readonly epochs: number; readonly step: number; readonly steps: number }
  | { readonly kind: 'cached' };

export interface ExecuteOptions {
  /** Folder of the outputs cache; absent: no cache. */
  readonly outputsDir?: string;
  readonly onEvent?: (e: CellEvent) => void;
}

/** Histograms of each scorer's confidences over the union of ID test and every OOD set. */
export function confidenceHistograms(confs: ReadonlyMap<string, ReadonlyMap<string, Float64Array>>, bins = HISTOGRAM_BINS): CellDiagnostics['histograms'] {
  const out: Record<string, { edges: number[]; counts: Record<string, number[]> }> = {};
  for (const [scorer, bySet] of confs) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const c of bySet.values()) for (const v of c) if (Number.isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
    if (!Number.isFinite(lo)) { lo = 0; hi = 1; }
    if (hi === lo) hi = lo + 1;
    const width = (hi - lo) / bins;
    const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : lo + i * width));
    const counts: Record<string, number[]> = {};
    for (const [set, c] of bySet) {
      const h = new Array<number>(bins).fill(0);
      for (const v of c) if (Number.isFinite(v)) h[Math.min(bins - 1, Math.floor((v - lo) / width))]!++;
      counts[set] = h;
    }
    out[scorer] = { edges, counts };
  }
  return out;
}

function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 500);
}

/** Trains (or reads from the outputs cache) and scores one cell; never throws: a failure is a failed cell. */
export async function executeCell(task: CellTask, o: ExecuteOptions = {}): Promise<FinishedCell> {
  const startedAt = new Date();
  const t0 = performance.now();
  const finish = (rest: Pick<FinishedCell, 'status' | 'results'> & Partial<FinishedCell>): FinishedCell => ({
    id: task.id,
    config: task.config,
    startedAt: startedAt.toISOString(),
    endedAt: new Date().toISOString(),
    seconds: (performance.now() - t0) / 1000,
    ...rest,
  });
  try {
    const c = task.config;
    const benchmark = findBenchmark(c.benchmark, { ...(task.dataDir ? { dataDir: task.dataDir } : {}), ...(task.benchmarkDirs ? { benchmarkDirs: task.benchmarkDirs } : {}) });
    if (!benchmark) throw new Error(`unknown benchmark ${c.benchmark}`);
    const recipe = recipeById(c.recipe);
    if (!recipe) throw new Error(`unknown recipe ${c.recipe}`);
    const runs: ScorerRun[] = c.scorers.map((s) => {
      const scorer = scorerById(s.id);
      if (!scorer) throw new Error(`unknown scorer ${s.id}`);
      return { scorer, settings: { ...s.settings } };
    });
    const keyOf = new Map(c.scorers.map((s) => [s.id, s] as const));
    const needsTrain = benchmark.fitSplit === 'train' && runs.some((r) => r.scorer.usesFitFeatures);

    let result: TrainResult | undefined = o.outputsDir ? readCachedTraining(o.outputsDir, task.trainingKey) : undefined;
    if (result && needsTrain && !result.outputs.id.train) result = undefined;
    let evaluation: Evaluation;
    if (result) {
      o.onEvent?.({ kind: 'cached' });
      evaluation = evaluate(result.outputs, runs, { fitSplit: benchmark.fitSplit });
    } else {
      const outputsDir = o.outputsDir;
      const run = await runTraining({
        benchmark,
        recipe,
        modalities: c.modalities,
        seed: c.seed,
        overrides: task.overrides,
        scorers: runs,
        split: c.split,
        ...(task.dataDir ? { dataDir: task.dataDir } : {}),
        progress: {
          step: (p) => o.onEvent?.({ kind: 'progress', ...p }),
          epoch: () => {},
          done: () => {},
        },
        // Cached before scoring: a scorer that fails or crashes never costs a retraining.
        ...(outputsDir ? { onTrained: (r: TrainResult) => writeCachedTraining(outputsDir, task.trainingKey, r) } : {}),
      });
      result = run.result;
      evaluation = run.evaluation;
    }

    const results: ResultRow[] = evaluation.results.map((s) => ({ scorer: s.scorer, scorerKey: keyOf.get(s.scorer)!.key, ood: s.ood, fpr95: s.fpr95, auroc: s.auroc, auprIn: s.aupr_in, auprOut: s.aupr_out, idAcc: s.id_acc }));
    const diagnostics: CellDiagnostics = {
      lId: finiteOrNull(result.discrepancy.lId),
      lOod: Object.fromEntries(Object.entries(result.discrepancy.lOod).map(([n, v]) => [n, finiteOrNull(v)])),
      curve: result.curve.map((r) => ({ ...r, terms: { ...r.terms } })),
      bestEpoch: result.bestEpoch,
      histograms: confidenceHistograms(evaluation.confidences),
      skipped: evaluation.skipped.map((x) => ({ ...x, key: keyOf.get(x.scorer)!.key, code: keyOf.get(x.scorer)!.code })),
    };
    return finish({ status: 'done', results, diagnostics });
  } catch (e) {
    return finish({ status: 'failed', error: oneLine(e), results: [] });
  }
}
