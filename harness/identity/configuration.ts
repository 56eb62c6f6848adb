import type { CellConfig, ScorerConfig } from '../store/contract.ts';
import { canonicalJson, sha256Hex } from './canonical.ts';

/**
 * Configuration identity. A leaderboard mean pools seeds and dataset splits of ONE
 * configuration: the same benchmark data (fingerprint), modalities, recipe and resolved training
 * config, backend, training code, scorer, scorer settings and scorer code. Anything else is
 * another configuration and another row.
 */

/** The backend a benchmark's default configuration runs on. */
export const DEFAULT_BACKEND = 'wasm';

/** The fields of a cell config that identify its trained model (the cell id hashes exactly these). */
export function trainingIdentity(c: CellConfig) {
  return {
    benchmark: c.benchmark,
    dataFingerprint: c.dataFingerprint,
    modalities: c.modalities,
    recipe: c.recipe,
    training: c.training,
    seed: c.seed,
    split: c.split,
    backend: c.backend,
    trainingCode: c.trainingCode,
  };
}

/** The stable id of a cell: its trained model's identity. */
export function cellIdOf(c: CellConfig): string {
  return sha256Hex(canonicalJson(trainingIdentity(c)));
}

/** The key of a scorer configuration: id and resolved settings (the code version is kept beside it). */
export function scorerKeyOf(id: string, settings: Readonly<Record<string, unknown>>): string {
  return sha256Hex(canonicalJson({ id, settings })).slice(0, 16);
}

/** Everything a configuration is, as a flat object (what `differences` compares). */
export function configurationOf(c: CellConfig, s: Pick<ScorerConfig, 'id' | 'settings' | 'code'>): Record<string, unknown> {
  const { seed: _seed, split: _split, ...rest } = trainingIdentity(c);
  return { ...rest, scorer: s.id, scorerSettings: s.settings, scorerCode: s.code };
}

/** The configuration key of a (cell, scorer configuration): equal for the seeds and splits of one configuration. */
export function configKeyOf(c: CellConfig, s: Pick<ScorerConfig, 'id' | 'settings' | 'code'>): string {
  return sha256Hex(canonicalJson(configurationOf(c, s))).slice(0, 16);
}

/** Whether a (cell, scorer configuration) is the benchmark's default configuration. */
export function isDefaultConfiguration(c: Pick<CellConfig, 'defaultTraining' | 'backend'>, s: Pick<ScorerConfig, 'isDefault'>): boolean {
  return c.defaultTraining && s.isDefault && c.backend === DEFAULT_BACKEND;
}

/** Flattens nested settings into dotted keys: { training: { a2d: { weight: 1 } } } -> training.a2d.weight = 1. */
function flatten(value: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out[prefix] = JSON.stringify(value);
  return out;
}

/** What differs between two configurations, one short phrase each: `training.epochs 5 (vs 20)`. */
export function configurationDifferences(config: Readonly<Record<string, unknown>>, reference: Readonly<Record<string, unknown>>): string[] {
  const a = flatten(config);
  const b = flatten(reference);
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.filter((k) => a[k] !== b[k]).map((k) => `${k} ${a[k] ?? '(none)'} (vs ${b[k] ?? '(none)'})`);
}
