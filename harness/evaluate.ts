import { rowArgmax } from '../methods/logits.ts';
import { collectGarbage } from '../methods/memory.ts';
import type { FitContext, ModelOutputs, SplitOutputs } from '../methods/outputs.ts';
import type { Scorer } from '../methods/scorer.ts';
import { InputError } from './errors.ts';
import { parseScorerSettings } from './scorer-settings.ts';
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

/** A scorer that could not run on these outputs (e.g. ViM with dim >= D), with its one-line reason. */
export interface SkippedScorer {
  readonly scorer: string;
  readonly reason: string;
}

export interface Evaluation {
  readonly results: ScorerResult[];
  readonly skipped: SkippedScorer[];
  /** scorer -> split ('id' for ID test, else the OOD set's name) -> confidences (higher = more ID) */
  readonly confidences: Map<string, Map<string, Float64Array>>;
}

function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 500);
}

/**
 * Fits every scorer on the ID outputs and reports FPR95, AUROC, AUPR-In/Out and ID ACC per OOD
 * set, with each scorer's confidences. A scorer that throws while fitting or scoring is recorded
 * as skipped with its reason and the others still run; settings that do not parse are the
 * user's error and stop everything (InputError).
 */
export function evaluate(outputs: ModelOutputs, runs: readonly ScorerRun[], options: EvaluateOptions): Evaluation {
  const fitSplit = outputs.id[options.fitSplit];
  if (runs.some((r) => r.scorer.usesFitFeatures) && !fitSplit) {
    throw new InputError(`scorers ${runs.filter((r) => r.scorer.usesFitFeatures).map((r) => r.scorer.id).join(', ')} fit on ID ${options.fitSplit} outputs, which are missing`);
  }
  if (runs.some((r) => r.scorer.usesValFeatures) && !outputs.id.val) {
    throw new InputError(`scorers ${runs.filter((r) => r.scorer.usesValFeatures).map((r) => r.scorer.id).join(', ')} need ID val outputs, which are missing`);
  }
  const labels = outputs.id.test.labels;
  if (!labels) throw new InputError('ID test outputs have no labels: ID accuracy cannot be computed');
  const settings = runs.map((run) => parseScorerSettings(run.scorer, run.settings ?? {}));

  const ctx: FitContext = {
    fit: fitSplit ?? unloaded(options.fitSplit),
    val: outputs.id.val ?? unloaded('val'),
    head: outputs.head,
    modalities: outputs.modalities,
    numClasses: outputs.numClasses,
    cache: new Map(),
  };
  // What a scorer that fits on whole ID splits may leave behind: D x D statistics and copies of
  // the fit features (the others read one row or block at a time and leave little).
  const D = outputs.id.test.features.cols;
  const fitGarbage = D * D * 8 + (fitSplit ? fitSplit.features.rows * D * 8 : 0);
  const garbageOf = (s: Scorer<any>) => (s.usesFitFeatures || s.usesValFeatures ? fitGarbage : 0);
  const fusedAccuracy = accuracy(rowArgmax(outputs.id.test.logits), labels);

  const results: ScorerResult[] = [];
  const skipped: SkippedScorer[] = [];
  const confidences = new Map<string, Map<string, Float64Array>>();
  runs.forEach((run, i) => {
    const started = performance.now();
    const id = run.scorer.id;
    let rows: ScorerResult[];
    const confs = new Map<string, Float64Array>();
    try {
      const fitted = run.scorer.fit(ctx, settings[i]);
      try {
        const idScores = fitted.score(outputs.id.test);
        confs.set('id', idScores.conf);
        const idAcc = idScores.pred ? accuracy(idScores.pred, labels) : fusedAccuracy;
        rows = [...outputs.ood].map(([oodName, oodSplit]) => {
          const conf = fitted.score(oodSplit).conf;
          confs.set(oodName, conf);
          const m = oodMetrics(idScores.conf, conf);
          return { scorer: id, ood: oodName, fpr95: m.fpr95, auroc: m.auroc, aupr_in: m.auprIn, aupr_out: m.auprOut, id_acc: idAcc };
        });
      } finally {
        fitted.release?.();
      }
    } catch (e) {
      if (e instanceof InputError) throw e;
      skipped.push({ scorer: id, reason: oneLine(e) });
      collectGarbage(garbageOf(run.scorer));
      return;
    }
    results.push(...rows);
    confidences.set(id, confs);
    collectGarbage(garbageOf(run.scorer)); // the scorer's fitted statistics and temporaries
    options.onScorerDone?.(id, (performance.now() - started) / 1000);
  });
  return { results, skipped, confidences };
}

/** `evaluate` for callers that need every scorer (eval-dumps, benchmarks): a skipped scorer is an error. */
export function evaluateOutputs(outputs: ModelOutputs, runs: readonly ScorerRun[], options: EvaluateOptions): ScorerResult[] {
  const e = evaluate(outputs, runs, options);
  const first = e.skipped[0];
  if (first) throw new Error(`scorer ${first.scorer}: ${first.reason}`);
  return e.results;
}
