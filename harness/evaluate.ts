import { rowArgmax } from '../methods/logits.ts';
import type { FitContext, ModelOutputs, SplitOutputs } from '../methods/outputs.ts';
import type { Scorer } from '../methods/scorer.ts';
import { InputError } from './errors.ts';
import { accuracy, oodMetrics } from './metrics/ood.ts';

/** One line of the benchmark's result table: one scorer on one OOD set. All values are fractions. */
export interface ScorerResult {
  readonly scorer: string;
  readonly ood: string;
  readonly fpr95: number;
  readonly auroc: number;
  readonly aupr_in: number;
  readonly aupr_out: number;
  readonly id_acc: number;
}

export interface ScorerRun {
  readonly scorer: Scorer<any>;
  /** Raw (unparsed) overrides; the scorer's zod schema fills in the benchmark's defaults. */
  readonly settings?: Record<string, unknown>;
}

export interface EvaluateOptions {
  /** Which ID split statistics are fitted on: 'val' for Kinetics-600, as the benchmark did. */
  readonly fitSplit: 'train' | 'val';
  /** Called after each scorer, e.g. for progress lines. */
  readonly onScorerDone?: (scorerId: string, seconds: number) => void;
}

/** Stands in for a split that was not loaded; touching it is a harness bug, not a user error. */
function unloaded(name: string): SplitOutputs {
  const fail = (): never => {
    throw new Error(`ID ${name} outputs were not loaded, yet a scorer read them (a scorer's usesFitFeatures/usesValFeatures is wrong)`);
  };
  return { get logits() { return fail(); }, get features() { return fail(); } };
}

/** Fits every scorer on the ID outputs and reports FPR95, AUROC, AUPR-In/Out and ID ACC per OOD set. */
export function evaluateOutputs(outputs: ModelOutputs, runs: readonly ScorerRun[], options: EvaluateOptions): ScorerResult[] {
  const fitSplit = outputs.id[options.fitSplit];
  if (runs.some((r) => r.scorer.usesFitFeatures) && !fitSplit) {
    throw new InputError(`scorers ${runs.filter((r) => r.scorer.usesFitFeatures).map((r) => r.scorer.id).join(', ')} fit on ID ${options.fitSplit} outputs, which are missing`);
  }
  if (runs.some((r) => r.scorer.usesValFeatures) && !outputs.id.val) {
    throw new InputError(`scorers ${runs.filter((r) => r.scorer.usesValFeatures).map((r) => r.scorer.id).join(', ')} need ID val outputs, which are missing`);
  }
  const labels = outputs.id.test.labels;
  if (!labels) throw new InputError('ID test outputs have no labels: ID accuracy cannot be computed');

  const ctx: FitContext = {
    fit: fitSplit ?? unloaded(options.fitSplit),
    val: outputs.id.val ?? unloaded('val'),
    head: outputs.head,
    modalities: outputs.modalities,
    numClasses: outputs.numClasses,
    cache: new Map(),
  };
  const fusedAccuracy = accuracy(rowArgmax(outputs.id.test.logits), labels);

  const results: ScorerResult[] = [];
  for (const run of runs) {
    const started = performance.now();
    const parsed = run.scorer.settings.safeParse(run.settings ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new InputError(`settings of scorer ${run.scorer.id}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    }
    const fitted = run.scorer.fit(ctx, parsed.data);
    const id = fitted.score(outputs.id.test);
    const idAcc = id.pred ? accuracy(id.pred, labels) : fusedAccuracy;
    for (const [oodName, oodSplit] of outputs.ood) {
      const m = oodMetrics(id.conf, fitted.score(oodSplit).conf);
      results.push({ scorer: run.scorer.id, ood: oodName, fpr95: m.fpr95, auroc: m.auroc, aupr_in: m.auprIn, aupr_out: m.auprOut, id_acc: idAcc });
    }
    options.onScorerDone?.(run.scorer.id, (performance.now() - started) / 1000);
  }
  return results;
}
