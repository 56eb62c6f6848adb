/** A small results database for the site tests, committed through the store API (no training). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CellConfig, FinishedCell, ResultRow } from '../store/index.ts';
import { openStore } from '../store/index.ts';
import { buildSite, type BuildSiteOptions, type BuildSiteReport } from './build.ts';

const SCORERS = ['msp', 'energy', 'knn'] as const;

const SCORER_SETTINGS: Readonly<Record<string, Record<string, unknown>>> = { msp: {}, energy: { temperature: 1 }, knn: { k: 10 } };

/**
 * A cell's configuration with the configuration identity fields (scorer configurations with keys,
 * training code version); the store's contract is the judge of the shape, the site reads it defensively.
 */
function config(benchmark: string, modalities: string[], recipe: string, seed: number): CellConfig {
  return {
    benchmark,
    dataFingerprint: 'fixture',
    modalities,
    recipe,
    training: { epochs: 3, lr: 1e-4 },
    seed,
    split: 0,
    backend: 'wasm',
    trainingCode: 'fixture-code',
    defaultTraining: true,
    scorers: SCORERS.map((id) => ({ id, key: `${id}-fixture`, settings: SCORER_SETTINGS[id]!, code: 'fixture-code', isDefault: true })),
  } as unknown as CellConfig;
}

/** Deterministic, distinct metric values per (recipe, scorer, ood, seed). */
function row(recipe: string, scorer: string, ood: string, seed: number, k: number): ResultRow {
  // scorerKey: the scorer configuration that produced the row (configuration identity)
  const r = recipe === 'baseline' ? 0 : 1;
  const s = SCORERS.indexOf(scorer as (typeof SCORERS)[number]);
  const auroc = 0.7 + 0.06 * s + 0.03 * r + 0.01 * seed + 0.02 * k;
  return { scorer, scorerKey: `${scorer}-fixture`, ood, fpr95: 0.9 - 0.1 * s - 0.05 * r + 0.02 * seed - 0.03 * k, auroc, auprIn: auroc - 0.05, auprOut: auroc - 0.1, idAcc: 0.8 + 0.08 * r + 0.01 * seed };
}

function cell(benchmark: string, modalities: string[], recipe: string, seed: number, oods: string[]): FinishedCell {
  const cfg = config(benchmark, modalities, recipe, seed);
  const edges = Array.from({ length: 11 }, (_, i) => i / 10);
  return {
    id: `fx-${benchmark}-${modalities.join('+')}-${recipe}-${seed}`,
    config: cfg,
    status: 'done',
    startedAt: '2025-01-01T00:00:00.000Z',
    endedAt: '2025-01-01T00:00:05.000Z',
    seconds: 5,
    results: oods.flatMap((ood, k) => SCORERS.map((s) => row(recipe, s, ood, seed, k))),
    diagnostics: {
      lId: 0.4 + 0.01 * seed,
      lOod: Object.fromEntries(oods.map((o, k) => [o, 0.7 + 0.1 * k])),
      curve: [0, 1, 2].map((epoch) => ({ epoch, loss: 2 - 0.5 * epoch, terms: { cls: 2.1 - 0.5 * epoch, a2d: -0.1 }, trainAcc: 0.5 + 0.1 * epoch, valAcc: 0.45 + 0.1 * epoch, seconds: 1 })),
      bestEpoch: 2,
      histograms: Object.fromEntries(
        SCORERS.map((s) => [s, { edges, counts: { id: [0, 0, 1, 2, 3, 5, 8, 13, 9, 4], ...Object.fromEntries(oods.map((o) => [o, [3, 6, 9, 12, 8, 5, 3, 1, 0, 0]])) } }]),
      ),
    },
  };
}

/**
 * synthetic-near (video+flow; baseline and a2d; seeds 0-2, n = 3: scorers 0.06 AUROC apart, beyond
 * the noise; recipes 0.03 apart, within it, so the ranking has ties; ID ACC +0.08 under a2d, beyond
 * it), synthetic-far (video+audio+flow; baseline; three OOD sets; n = 1) and hmdb51-near (a real
 * benchmark: video+flow baseline, seeds 0, 1, paired with the MultiOOD paper's Table 1).
 */
export function makeFixtureDb(path: string): void {
  const store = openStore(path);
  const runId = store.beginRun({ command: 'run --fixture', gitCommit: 'fixture0commit', harnessVersion: '0.1.0', backend: 'cpu', machine: 'test', shard: null, startedAt: '2025-01-01T00:00:00.000Z' });
  for (const recipe of ['baseline', 'a2d']) for (const seed of [0, 1, 2]) store.commitCell(runId, cell('synthetic-near', ['video', 'flow'], recipe, seed, ['near']));
  for (const seed of [0, 1]) store.commitCell(runId, cell('hmdb51-near', ['video', 'flow'], 'baseline', seed, ['near']));
  store.commitCell(runId, cell('synthetic-far', ['video', 'audio', 'flow'], 'baseline', 0, ['easy', 'hard', 'medium']));
  store.endRun(runId, '2025-01-01T00:01:00.000Z');
  store.close();
}

export interface FixtureSite {
  readonly dir: string;
  readonly db: string;
  readonly out: string;
  readonly report: BuildSiteReport;
}

let shared: Promise<FixtureSite> | null = null;

/** Builds the fixture site once per test process (the browser test and the build test share it). */
export function fixtureSite(extra: Partial<BuildSiteOptions> = {}): Promise<FixtureSite> {
  const make = async () => {
    const dir = mkdtempSync(join(tmpdir(), 'multiood-site-test-'));
    const db = join(dir, 't.sqlite');
    makeFixtureDb(db);
    const out = join(dir, 'dist');
    const report = await buildSite({ db, out, quiet: true, ...extra });
    return { dir, db, out, report };
  };
  if (Object.keys(extra).length > 0) return make();
  return (shared ??= make());
}
