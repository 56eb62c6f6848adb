import { benchmarkById } from '../../datasets/registry.ts';
import type { SplitOutputs } from '../../methods/outputs.ts';
import type { FittedScorer, Scorer } from '../../methods/scorer.ts';
import { scorerById } from '../../methods/scorers/index.ts';
import { recipeById } from '../../methods/training/recipes/index.ts';
import type { TrainResult } from '../../methods/training/train.ts';
import { runTraining } from '../commands/train.ts';
import { evaluateOutputs, type ScorerResult, type ScorerRun } from '../evaluate.ts';
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

/** Wraps each scorer so that the confidences it computes are kept (for the histograms), results unchanged. */
function recordingScorers(runs: readonly ScorerRun[], seen: { scorer: string; split: SplitOutputs; conf: Float64Array }[]): ScorerRun[] {
  return runs.map((run) => {
    const inner = run.scorer;
    const scorer: Scorer<any> = Object.create(inner, {
      fit: {
        value: (ctx: Parameters<Scorer<any>['fit']>[0], settings: unknown): FittedScorer => {
          const fitted = inner.fit(ctx, settings as Record<string, unknown>);
          return {
            score(split) {
              const r = fitted.score(split);
              seen.push({ scorer: inner.id, split, conf: r.conf });
              return r;
            },
          };
        },
      },
    });
    return { scorer, ...(run.settings ? { settings: run.settings } : {}) };
  });
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
    const benchmark = benchmarkById(c.benchmark);
    if (!benchmark) throw new Error(`unknown benchmark ${c.benchmark}`);
    const recipe = recipeById(c.recipe);
    if (!recipe) throw new Error(`unknown recipe ${c.recipe}`);
    const runs: ScorerRun[] = Object.keys(c.scorers).map((id) => {
      const scorer = scorerById(id);
      if (!scorer) throw new Error(`unknown scorer ${id}`);
      return { scorer, settings: { ...(task.scorerSettings[id] ?? {}) } };
    });
    const seen: { scorer: string; split: SplitOutputs; conf: Float64Array }[] = [];
    const recording = recordingScorers(runs, seen);
    const needsTrain = benchmark.fitSplit === 'train' && runs.some((r) => r.scorer.usesFitFeatures);

    let result: TrainResult | undefined = o.outputsDir ? readCachedTraining(o.outputsDir, task.trainingKey) : undefined;
    if (result && needsTrain && !result.outputs.id.train) result = undefined;
    let scores: ScorerResult[];
    if (result) {
      o.onEvent?.({ kind: 'cached' });
      scores = evaluateOutputs(result.outputs, recording, { fitSplit: benchmark.fitSplit });
    } else {
      const run = await runTraining({
        benchmark,
        recipe,
        modalities: c.modalities,
        seed: c.seed,
        overrides: task.overrides,
        scorers: recording,
        split: c.split,
        ...(task.dataDir ? { dataDir: task.dataDir } : {}),
        progress: {
          step: (p) => o.onEvent?.({ kind: 'progress', ...p }),
          epoch: () => {},
          done: () => {},
        },
      });
      result = run.result;
      scores = run.scores;
      if (o.outputsDir) writeCachedTraining(o.outputsDir, task.trainingKey, result);
    }

    const names = new Map<SplitOutputs, string>([[result.outputs.id.test, 'id'], ...[...result.outputs.ood].map(([n, s]) => [s, n] as [SplitOutputs, string])]);
    const confs = new Map<string, Map<string, Float64Array>>();
    for (const s of seen) {
      const set = names.get(s.split);
      if (!set) continue;
      if (!confs.has(s.scorer)) confs.set(s.scorer, new Map());
      confs.get(s.scorer)!.set(set, s.conf);
    }
    const results: ResultRow[] = scores.map((s) => ({ scorer: s.scorer, ood: s.ood, fpr95: s.fpr95, auroc: s.auroc, auprIn: s.aupr_in, auprOut: s.aupr_out, idAcc: s.id_acc }));
    const diagnostics: CellDiagnostics = {
      lId: result.discrepancy.lId,
      lOod: { ...result.discrepancy.lOod },
      curve: result.curve.map((r) => ({ ...r, terms: { ...r.terms } })),
      bestEpoch: result.bestEpoch,
      histograms: confidenceHistograms(confs),
    };
    return finish({ status: 'done', results, diagnostics });
  } catch (e) {
    return finish({ status: 'failed', error: oneLine(e), results: [] });
  }
}
