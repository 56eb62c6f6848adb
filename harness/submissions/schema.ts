import { z } from 'zod';
import { MULTIOOD_DEFINITIONS } from '../../datasets/multiood/definitions.ts';
import { SCORERS } from '../../methods/scorers/index.ts';
import { recipeOverridesSchema } from '../../methods/training/recipe.ts';
import { RECIPES } from '../../methods/training/recipes/index.ts';

/**
 * The schema of `submissions/<id>/submission.json`. Structural checks are zod; the checks that
 * need the repository (the code entry exists, the method is registered, its settings parse with
 * the method's own schema, an OOD set belongs to its benchmark, no duplicate rows) are in
 * `checkSubmission` below, so every problem is reported as one `<field path>: <expected>` line.
 */

export const KEBAB = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** The MultiOOD benchmarks a reported row may name (the paper's, not the embedded synthetic ones). */
export const REPORTED_BENCHMARKS = MULTIOOD_DEFINITIONS.map((d) => d.id) as [string, ...string[]];
export const MODALITIES = ['video', 'audio', 'flow'] as const;
export const OOD_NAMES = ['near', 'UCF', 'Kinetics', 'HMDB', 'HAC', 'EPIC', 'average'] as const;

/**
 * Recipe ids a reported row may use although the harness has no such recipe (a paper row with no
 * counterpart here). Anything else must be a registered recipe id.
 */
export const REPORTED_ONLY_RECIPES: Readonly<Record<string, string>> = {
  logitnorm_a2d: 'LogitNorm + A2D without NP-Mix (MultiOOD Table 1, "LogitNorm+")',
  a2d_npos: 'A2D with NPOS outliers (MultiOOD Table 6)',
};

const percent = z.number({ error: 'expected a number (x100, as printed)' }).min(0, 'expected a number in [0, 100]').max(100, 'expected a number in [0, 100]');
/** Strings reach logs and terminals (validate, list): a newline in one could forge an output line. */
const CONTROL = /[\u0000-\u001f\u007f\u0085\u2028\u2029]/;
const oneLine = (schema: z.ZodString) => schema.max(2000, 'expected at most 2000 characters').refine((s) => !CONTROL.test(s), 'expected one line of text (no newlines or control characters)');
const nonEmpty = oneLine(z.string({ error: 'expected a non-empty string' }).trim().min(1, 'expected a non-empty string'));
const url = z.url({ error: 'expected an http(s) URL' }).refine((u) => /^https?:\/\//.test(u), 'expected an http(s) URL');

export const reportedRowSchema = z
  .object({
    /** the table that printed it, e.g. "1" or "7" */
    table: nonEmpty,
    /** page of the paper's PDF, when known */
    page: z.number().int().positive().optional(),
    /** other tables printing the same numbers (kept once here) */
    also_in: z.array(nonEmpty).optional(),
    benchmark: z.enum(REPORTED_BENCHMARKS, { error: `expected one of ${REPORTED_BENCHMARKS.join(', ')}` }),
    modalities: z
      .array(z.enum(MODALITIES, { error: `expected one of ${MODALITIES.join(', ')}` }), { error: 'expected a list of modalities' })
      .min(1, 'expected at least one modality')
      .refine((m) => new Set(m).size === m.length, 'expected distinct modalities'),
    recipe: z.string({ error: 'expected a recipe id' }).regex(/^[a-z0-9_]+$/, 'expected a recipe id (lowercase, underscores)'),
    scorer: oneLine(z.string({ error: 'expected a scorer id' })),
    ood: z.enum(OOD_NAMES, { error: `expected one of ${OOD_NAMES.join(', ')}` }),
    fpr95: percent,
    auroc: percent,
    id_acc: percent.optional(),
  })
  .strict();

const common = {
  id: z.string({ error: 'expected a kebab-case id' }).regex(KEBAB, 'expected a kebab-case id (lowercase letters, digits, single hyphens)'),
  title: nonEmpty,
  authors: z.array(nonEmpty, { error: 'expected a list of author names' }).min(1, 'expected at least one author'),
  paper: url,
  notes: z.array(oneLine(z.string()), { error: 'expected a list of strings' }).optional(),
};

const codeSubmission = <K extends 'scorer' | 'training'>(kind: K, entry: RegExp, what: string) =>
  z
    .object({
      ...common,
      kind: z.literal(kind),
      /** the method's file, e.g. methods/scorers/my-scorer.ts */
      entry: z.string({ error: `expected the path of the method's file (${what})` }).regex(entry, `expected a path like ${what}`),
      /** the method's registered id */
      method: oneLine(z.string({ error: 'expected the id the method is registered under' }).min(1, 'expected the id the method is registered under')),
      /** settings for the method (validated by its own schema); default {} */
      settings: z.record(z.string(), z.unknown(), { error: 'expected an object of settings' }).default({}),
    })
    .strict();

export const scorerSubmissionSchema = codeSubmission('scorer', /^methods\/scorers\/[A-Za-z0-9_-]+\.ts$/, 'methods/scorers/<file>.ts');
export const trainingSubmissionSchema = codeSubmission('training', /^methods\/training\/recipes\/[A-Za-z0-9_-]+\.ts$/, 'methods/training/recipes/<file>.ts');
export const reportedSubmissionSchema = z
  .object({
    ...common,
    kind: z.literal('reported'),
    /** where the numbers were printed */
    source: z.object({ paper: nonEmpty, url, venue: oneLine(z.string()).optional() }, { error: 'expected { paper, url }' }).strict(),
    rows: z.array(reportedRowSchema, { error: 'expected a list of rows' }).min(1, 'expected at least one row'),
  })
  .strict();

export const submissionSchema = z.discriminatedUnion('kind', [scorerSubmissionSchema, trainingSubmissionSchema, reportedSubmissionSchema], {
  error: 'expected one of scorer, training, reported',
});

export type Submission = z.output<typeof submissionSchema>;
export type ReportedSubmission = z.output<typeof reportedSubmissionSchema>;
export type ReportedRow = z.output<typeof reportedRowSchema>;

/** `rows[3].fpr95` from a zod path. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out || '(root)';
}

function issueLine(issue: z.core.$ZodIssue): string {
  const path = fieldPath(issue.path);
  if (issue.code === 'unrecognized_keys') return `${path}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
  if (issue.code === 'invalid_type' && issue.input === undefined) return `${path}: missing; ${issue.message}`;
  if (issue.code === 'invalid_union' && issue.path.length === 0) return `kind: expected one of scorer, training, reported`;
  return `${path}: ${issue.message}`;
}

/**
 * Upper bounds on method settings by what the field can mean, so that a submission cannot ask a
 * CI run for a billion epochs or neighbours. The methods' own schemas check the lower bounds and
 * types; these are checked on top, for submissions only.
 */
export const SETTING_BOUNDS: Readonly<Record<'scorer' | 'training', Readonly<Record<string, readonly [number, string]>>>> = {
  scorer: {
    k: [100_000, 'neighbours (at most the fit rows of the largest benchmark)'],
    topM: [10_000, 'classes'],
    dim: [100_000, 'feature dimensions'],
    percentile: [100, 'a percentile'],
    temperature: [1e6, 'a temperature'],
    gamma: [1e6, 'an exponent'],
  },
  training: {
    epochs: [1000, 'an epoch count'],
    startEpoch: [1000, 'an epoch index'],
    batchSize: [65_536, 'a batch size'],
    hidden: [65_536, 'a layer width'],
    queueSize: [100_000, 'embeddings per class'],
    nnK: [1000, 'nearest prototypes'],
    lr: [10, 'a learning rate'],
    weightDecay: [1, 'a weight decay'],
    tau: [1000, 'a temperature'],
    alpha: [1000, 'a Beta parameter'],
    a2dWeight: [1000, 'a loss weight'],
    ood: [1000, 'a loss weight'],
    ent: [1000, 'a loss weight'],
  },
};

/** `settings.<key>: expected ...` for every numeric setting over its bound (or not finite). */
function settingBoundProblems(kind: 'scorer' | 'training', settings: unknown): string[] {
  if (!settings || typeof settings !== 'object') return [];
  const problems: string[] = [];
  for (const [key, value] of Object.entries(settings)) {
    // numbers, and strings the methods' z.coerce would read as numbers ('1e9', 'Infinity')
    const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*[+-]?(\d|\.\d|Infinity)/.test(value) ? Number(value) : undefined;
    if (n === undefined || Number.isNaN(n)) continue;
    if (!Number.isFinite(n)) {
      problems.push(`settings.${key}: expected a finite number`);
      continue;
    }
    const bound = SETTING_BOUNDS[kind][key];
    if (bound && n > bound[0]) problems.push(`settings.${key}: expected at most ${bound[0]} (${bound[1]}), got ${value}`);
  }
  return problems;
}

export interface RepoAccess {
  /** whether a repository-relative file exists */
  exists(path: string): boolean;
  /** a repository-relative file's text */
  read(path: string): string;
}

/**
 * Every problem with one parsed submission.json as `<field path>: <expected>` (empty: valid).
 * `folder` is the submission's folder name (the id must equal it).
 */
export function checkSubmission(raw: unknown, folder: string | null, repo: RepoAccess): { submission?: Submission; problems: string[] } {
  const parsed = submissionSchema.safeParse(raw, { reportInput: true });
  const problems = parsed.success ? [] : parsed.error.issues.map(issueLine);
  // The repository checks run on whatever is well-formed enough, so one pass reports everything.
  const s = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const str = (v: unknown): v is string => typeof v === 'string';
  if (folder !== null && str(s.id) && s.id !== folder) problems.push(`id: expected the folder name "${folder}", got "${s.id}"`);
  if ((s.kind === 'scorer' || s.kind === 'training') && str(s.method)) {
    const method = s.method;
    if (str(s.entry) && /^methods\/.+\.ts$/.test(s.entry) && !s.entry.includes('..')) {
      let source: string | undefined;
      if (!repo.exists(s.entry)) problems.push(`entry: expected an existing file, ${s.entry} is not in the repository`);
      else {
        try {
          source = repo.read(s.entry);
        } catch (e) {
          // a symlink, FIFO or device committed under methods/, or a huge file: refused unread
          problems.push(`entry: ${s.entry}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      if (source !== undefined && !new RegExp(`id:\\s*['"\`]${method.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}['"\`]`).test(source))
        problems.push(`method: expected ${s.entry} to define id '${method}'`);
    }
    const settings = s.settings === undefined ? {} : s.settings;
    const bounded = settingBoundProblems(s.kind, settings);
    problems.push(...bounded);
    // A setting already over its submission bound is reported once, not again by the method's schema.
    const reported = new Set(bounded.map((p) => p.split(':')[0]));
    const settingIssues = (r: { success: boolean; error?: z.ZodError }) => {
      if (!r.success) for (const i of r.error!.issues) if (!reported.has(['settings', ...i.path].join('.'))) problems.push(issueLine({ ...i, path: ['settings', ...i.path] } as z.core.$ZodIssue));
    };
    if (s.kind === 'scorer') {
      const scorer = SCORERS.find((x) => x.id === method);
      if (!scorer) problems.push(`method: expected a scorer registered in methods/scorers/index.ts SCORERS (${SCORERS.map((x) => x.id).join(', ')}), got "${method}"`);
      else if (settings && typeof settings === 'object') settingIssues(scorer.settings.safeParse(settings));
    } else {
      const recipe = RECIPES.find((x) => x.id === method);
      if (!recipe) problems.push(`method: expected a recipe registered in methods/training/recipes/index.ts RECIPES (${RECIPES.map((x) => x.id).join(', ')}), got "${method}"`);
      if (settings && typeof settings === 'object') settingIssues(recipeOverridesSchema.safeParse(settings));
    }
  }
  if (s.kind === 'reported' && Array.isArray(s.rows)) {
    const seen = new Map<string, number>();
    s.rows.forEach((x: unknown, i) => {
      if (!x || typeof x !== 'object') return;
      const row = x as Record<string, unknown>;
      const at = `rows[${i}]`;
      if (str(row.scorer) && !SCORERS.some((sc) => sc.id === row.scorer)) problems.push(`${at}.scorer: expected a scorer id (${SCORERS.map((sc) => sc.id).join(', ')}), got "${row.scorer}"`);
      if (str(row.recipe) && !RECIPES.some((r) => r.id === row.recipe) && !(row.recipe in REPORTED_ONLY_RECIPES))
        problems.push(`${at}.recipe: expected a recipe id (${[...RECIPES.map((r) => r.id), ...Object.keys(REPORTED_ONLY_RECIPES)].join(', ')}), got "${row.recipe}"`);
      const def = MULTIOOD_DEFINITIONS.find((d) => d.id === row.benchmark);
      if (!def) return;
      const oods = def.setting === 'near' ? ['near'] : [...def.oodSets.map((o) => o.name), 'average'];
      if (str(row.ood) && (OOD_NAMES as readonly string[]).includes(row.ood) && !oods.includes(row.ood)) problems.push(`${at}.ood: expected one of ${oods.join(', ')} for ${row.benchmark}, got "${row.ood}"`);
      if (!Array.isArray(row.modalities) || !row.modalities.every(str)) return;
      const mods = row.modalities as string[];
      const bad = mods.filter((m) => (MODALITIES as readonly string[]).includes(m) && !def.modalities.some((d) => d.name === m));
      if (bad.length) problems.push(`${at}.modalities: expected modalities of ${row.benchmark} (${def.modalities.map((d) => d.name).join(', ')}), got ${bad.join(', ')}`);
      const key = [row.benchmark, [...mods].sort().join('+'), row.recipe, row.scorer, row.ood].join(' | ');
      const first = seen.get(key);
      if (first !== undefined) problems.push(`${at}: expected a unique (benchmark, modalities, recipe, scorer, ood), duplicates rows[${first}] (${key})`);
      else seen.set(key, i);
    });
  }
  const unique = [...new Set(problems)];
  return parsed.success && !unique.length ? { submission: parsed.data, problems: [] } : { problems: unique };
}
