import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CellConfig, FinishedCell, ResultRow, RunMeta, ScorerConfig } from './contract.ts';

/** A temporary folder removed by the returned `cleanup`. */
export function tempDir(prefix = 'multiood-store-'): { dir: string; file: (name: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, file: (name) => join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function runMeta(overrides: Partial<RunMeta> = {}): RunMeta {
  return {
    command: 'run --all',
    gitCommit: 'abc123',
    harnessVersion: '0.1.0',
    backend: 'cpu',
    machine: 'test',
    shard: null,
    startedAt: '2025-01-01T00:00:00.000Z',
    ...overrides,
  };
}

export function cellConfig(overrides: Partial<CellConfig> = {}): CellConfig {
  return {
    benchmark: 'toy-far',
    dataFingerprint: 'fp',
    modalities: ['video', 'audio'],
    recipe: 'a2d',
    training: { epochs: 2 },
    seed: 0,
    split: 0,
    backend: 'wasm',
    trainingCode: 'code-1',
    defaultTraining: true,
    scorers: TEST_SCORERS.map((id) => scorerConfig(id)),
    ...overrides,
  };
}

const TEST_SCORERS = ['msp', 'energy', 'maxlogit', 'mahalanobis', 'react', 'ash', 'gen', 'knn', 'vim'];

/** A scorer configuration whose key is the scorer id (or `id:variant` for other settings). */
export function scorerConfig(id: string, settings: Record<string, unknown> = {}, variant?: string): ScorerConfig {
  return { id, key: variant ? `${id}:${variant}` : id, settings, code: 'scorer-code-1', isDefault: variant === undefined };
}

export function resultRow(scorer: string, ood: string, v: number, scorerKey = scorer): ResultRow {
  return { scorer, scorerKey, ood, fpr95: v, auroc: 1 - v, auprIn: 1 - v / 2, auprOut: 1 - v / 3, idAcc: 0.9 };
}

/** A finished cell; its id is derived from the config fields tests vary. */
export function finishedCell(config: CellConfig, results: readonly ResultRow[], overrides: Partial<FinishedCell> = {}): FinishedCell {
  // every scorer a result names is declared by the cell
  const declared = new Set(config.scorers.map((s) => s.key));
  const extra = [...new Set(results.map((r) => r.scorerKey))].filter((k) => !declared.has(k)).map((k) => scorerConfig(k));
  return {
    id: `${config.benchmark}|${config.modalities.join('+')}|${config.recipe}|${config.seed}|${config.split}`,
    config: extra.length ? { ...config, scorers: [...config.scorers, ...extra] } : config,
    status: 'done',
    startedAt: '2025-01-01T00:00:01.000Z',
    endedAt: '2025-01-01T00:00:02.000Z',
    seconds: 1,
    results,
    diagnostics: {
      lId: 0.5,
      lOod: { ucf: 0.4 },
      curve: [{ epoch: 0, loss: 1, seconds: 0.1 }],
      bestEpoch: 0,
      histograms: { msp: { edges: [0, 0.5, 1], counts: { id: [1, 2], ucf: [2, 1] } } },
    },
    ...overrides,
  };
}
