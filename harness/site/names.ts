/**
 * Display names, in one place: recipes and scorers take the `title` of their registry entry (served
 * by GET /api/methods); the few ids the site meets without a registry entry (recipes only the paper
 * reports, OOD set names) are named here. Raw ids are never shown as names.
 */

/** Recipes a paper reports that the harness has no recipe for (harness/submissions/schema.ts REPORTED_ONLY_RECIPES), or has one the API did not list. */
export const FALLBACK_RECIPE_TITLES: Readonly<Record<string, string>> = {
  logitnorm_a2d: 'LogitNorm + A2D',
  a2d_npos: 'A2D + NPOS outliers',
};

/** OOD set ids as the pages name them. */
export const OOD_TITLES: Readonly<Record<string, string>> = {
  near: 'Near-OOD',
  average: 'average over OOD sets',
  UCF: 'UCF101',
  Kinetics: 'Kinetics-600',
  HMDB: 'HMDB51',
  HAC: 'HAC',
  EPIC: 'EPIC-Kitchens',
};

/** Short OOD set names for column headers. */
export const OOD_SHORT: Readonly<Record<string, string>> = { near: 'Near-OOD', average: 'Average' };

interface Titled {
  readonly id: string;
  readonly title?: string | null;
}

/** Turns an unknown id into something readable (last resort: `a2d_foo` -> `A2d foo`). */
function humanise(id: string): string {
  const s = id.replace(/[_-]+/g, ' ').trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export interface Names {
  recipe(id: string): string;
  scorer(id: string): string;
  benchmark(id: string): string;
  ood(id: string): string;
  oodShort(id: string): string;
  modalities(m: string | readonly string[]): string;
  /** a (recipe, scorer) pair: "MSP · A2D + NP-Mix" (the paper's rows are scorers under a training method) */
  method(recipe: string, scorer: string): string;
}

export function makeNames(recipes: readonly Titled[], scorers: readonly Titled[], benchmarks: readonly Titled[]): Names {
  const table = (items: readonly Titled[]) => new Map(items.filter((x) => typeof x.title === 'string' && x.title).map((x) => [x.id, x.title as string]));
  const r = table(recipes), s = table(scorers), b = table(benchmarks);
  const names: Names = {
    recipe: (id) => r.get(id) ?? FALLBACK_RECIPE_TITLES[id] ?? humanise(id),
    scorer: (id) => s.get(id) ?? humanise(id),
    benchmark: (id) => b.get(id) ?? id,
    ood: (id) => OOD_TITLES[id] ?? id,
    oodShort: (id) => OOD_SHORT[id] ?? OOD_TITLES[id] ?? id,
    modalities: (m) => (typeof m === 'string' ? m.split('+') : m).join(' + '),
    method: (recipe, scorer) => `${names.scorer(scorer)} · ${names.recipe(recipe)}`,
  };
  return names;
}
