import { SCORERS, scorerById } from '../methods/scorers/index.ts';
import { scorerSettingNames } from './scorer-settings.ts';
import { InputError } from './errors.ts';
import type { ScorerRun } from './evaluate.ts';

/** Parses `--scorers msp,energy` (default: all nine) and `--set knn.k=50` overrides. */
export function selectScorers(ids: string | undefined, sets: readonly string[] = []): ScorerRun[] {
  const chosen = ids ? ids.split(',').map((s) => s.trim()).filter(Boolean) : SCORERS.map((s) => s.id);
  const overrides = new Map<string, Record<string, unknown>>();
  for (const assignment of sets) {
    const m = /^([a-z0-9_-]+)\.([A-Za-z0-9_]+)=(.+)$/.exec(assignment);
    if (!m) throw new InputError(`--set ${assignment}: expected SCORER.SETTING=VALUE, e.g. knn.k=50`);
    const [, scorer, key, raw] = m as unknown as [string, string, string, string];
    const found = scorerById(scorer);
    if (!found) throw new InputError(`--set ${assignment}: unknown scorer "${scorer}"; known: ${SCORERS.map((s) => s.id).join(', ')}`);
    const known = scorerSettingNames(found);
    if (!known.includes(key)) throw new InputError(`--set ${assignment}: scorer ${scorer} has no setting "${key}"; known: ${known.length ? known.join(', ') : '(none)'}`);
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw;
    }
    overrides.set(scorer, { ...overrides.get(scorer), [key]: value });
  }
  return chosen.map((id) => {
    const scorer = scorerById(id);
    if (!scorer) throw new InputError(`--scorers: unknown scorer "${id}"; known: ${SCORERS.map((s) => s.id).join(', ')}`);
    return { scorer, settings: overrides.get(id) ?? {} };
  });
}
