/**
 * The zod schemas of every route of the results API: the query and path parameters each route
 * validates, and the JSON each route answers. app.ts validates requests with them and
 * @hono/zod-openapi generates /api/openapi.json from them, so the document cannot drift from
 * the code. One convention across routes: metrics are fractions in [0, 1] (the store's unit),
 * camelCase field names, modality sets as names joined by '+'.
 */
import { z } from '@hono/zod-openapi';
import { BENCHMARKS } from '../../datasets/registry.ts';
import { SCORERS } from '../../methods/scorers/index.ts';
import { RECIPES } from '../../methods/training/recipes/index.ts';
import { METRICS } from '../store/queries.ts';
import { OOD_NAMES, REPORTED_ONLY_RECIPES } from '../submissions/schema.ts';

/**
 * Values a filter may name that are only known at request time (the database records declared
 * benchmarks after the app starts). `has` answers the common case without listing; `list` is
 * called for the 400 that names the known values.
 */
export interface KnownValues {
  readonly benchmarks: { has(id: string): boolean; list(): string[] };
  readonly modalities: { has(name: string): boolean; list(): string[] };
}

export const RECIPE_IDS = RECIPES.map((r) => r.id) as [string, ...string[]];
export const SCORER_IDS = SCORERS.map((s) => s.id) as [string, ...string[]];
/** Recipe ids a reported row may use: the registry's plus the paper-only ones (no harness recipe). */
export const REPORTED_RECIPE_IDS = [...new Set([...RECIPE_IDS, ...Object.keys(REPORTED_ONLY_RECIPES)])] as [string, ...string[]];
export const BUILTIN_BENCHMARK_IDS = BENCHMARKS.map((b) => b.id);
export const BUILTIN_MODALITIES = [...new Set(BENCHMARKS.flatMap((b) => b.modalities.map((m) => m.name)))];

const FRACTION = 'a fraction in [0, 1] (not x100)';
const METRIC_DESCRIPTIONS: Record<(typeof METRICS)[number], string> = {
  fpr95: `false positive rate on OOD at 95% true positive rate on ID, ${FRACTION}; lower is better`,
  auroc: `area under the ROC curve (OOD is the positive class), ${FRACTION}; higher is better`,
  auprIn: `area under the precision-recall curve with ID as the positive class, ${FRACTION}`,
  auprOut: `area under the precision-recall curve with OOD as the positive class, ${FRACTION}`,
  idAcc: `accuracy on the ID test split, ${FRACTION}`,
};

// ---------------------------------------------------------------- errors

export const ErrorBody = z
  .object({
    error: z.string().describe('one line saying what is wrong'),
    parameter: z.string().optional().describe('the path or query parameter at fault'),
    known: z.array(z.string()).optional().describe('the values (or parameter names) the parameter accepts, when it names an unknown one'),
  })
  .openapi('Error');

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: ErrorBody } } });
export const BAD_REQUEST = errorResponse(
  'A query parameter is invalid, unknown, or names an unknown value (`parameter` names it; `known` lists the accepted values or parameter names)',
);
export const NOT_FOUND = (what: string) => errorResponse(what);
export const ok = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });

// ---------------------------------------------------------------- parameters

/**
 * A string that must be one of a live list: an issue carrying `params.known` (the 400 lists them).
 * The list is asked for only when the value is not known.
 */
const knownString = (what: string, known: { has(v: string): boolean; list(): string[] }) =>
  z
    .string()
    .min(1)
    .max(200)
    .superRefine((v, ctx) => {
      if (!known.has(v)) ctx.addIssue({ code: 'custom', message: `unknown ${what} ${JSON.stringify(v.slice(0, 60))}`, params: { known: known.list() } });
    });

const enumOf = (values: [string, ...string[]], description: string) => z.enum(values).openapi({ description });

/** A non-negative integer written in the query string, bounded. */
const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .regex(/^\d+$/, 'expected an integer')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

export function querySchemas(known: KnownValues) {
  const benchmark = knownString('benchmark', known.benchmarks).openapi({
    description: `benchmark id: a built-in one (${BUILTIN_BENCHMARK_IDS.join(', ')}) or a declared one the database records; an unknown id is a 400 listing the known ones`,
  });
  /**
   * A set of known modality names. Parsed into a set (duplicates collapse) of names checked
   * against the known ones, so a request can name at most that many: the store's
   * order-insensitive match then stays small however long the query string is.
   */
  const modalities = z
    .string()
    .min(1)
    .max(200)
    .transform((s) => [...new Set(s.split(/[,+\s]+/).filter(Boolean))])
    .refine((list) => list.length > 0, 'expected modality names separated by "," or "+"')
    .superRefine((list, ctx) => {
      const unknown = list.find((m) => !known.modalities.has(m));
      if (unknown === undefined) return;
      ctx.addIssue({ code: 'custom', message: `unknown modality ${JSON.stringify(unknown.slice(0, 40))}`, params: { known: known.modalities.list() } });
    })
    .openapi({
      type: 'string',
      description: `a modality set: names separated by "," or "+" in any order, e.g. video,audio; each must be a modality of some benchmark (${BUILTIN_MODALITIES.join(', ')}, or a declared benchmark's); an unknown name is a 400 listing the known ones`,
    });
  const recipe = enumOf(RECIPE_IDS, 'training recipe id (methods/training/recipes); an unknown id is a 400 listing the known ones');
  const scorer = enumOf(SCORER_IDS, 'post-hoc scorer id (methods/scorers); an unknown id is a 400 listing the known ones');
  const page = {
    limit: int(1, 1000).default(100).openapi({ type: 'integer', minimum: 1, maximum: 1000, default: 100, description: 'page size (1-1000, default 100)' }),
    offset: int(0).default(0).openapi({ type: 'integer', minimum: 0, default: 0, description: 'rows to skip (default 0)' }),
  };

  return {
    empty: z.object({}).strict(),
    leaderboard: z
      .object({
        recipe: recipe.optional(),
        modalities: modalities.optional(),
        scorer: scorer.optional(),
        configurations: z
          .enum(['ranked', 'all'])
          .default('ranked')
          .openapi({
            description:
              "'ranked' (default): each (modalities, recipe, scorer) group's ranked configuration only; 'all': every configuration, each with what differs from the ranked one (configuration.differences)",
          }),
      })
      .strict(),
    cells: z
      .object({
        benchmark: benchmark.optional(),
        recipe: recipe.optional(),
        modalities: modalities.optional(),
        status: z.enum(['done', 'failed']).optional().openapi({ description: 'done or failed' }),
        run: int(1).optional().openapi({ type: 'integer', minimum: 1, description: 'id of the run that committed the cell (GET /api/runs)' }),
        ...page,
      })
      .strict(),
    results: z
      .object({
        benchmark: benchmark.optional(),
        recipe: recipe.optional(),
        modalities: modalities.optional(),
        scorer: scorer.optional(),
        ood: z.string().min(1).max(200).optional().openapi({ description: "an OOD set name, e.g. 'near' or a Far-OOD dataset (free text: the sets are the data's)" }),
        seed: int(0).optional().openapi({ type: 'integer', minimum: 0, description: 'training seed' }),
        split: int(0).optional().openapi({ type: 'integer', minimum: 0, description: 'dataset split (class partition) index' }),
        ...page,
      })
      .strict(),
    reported: z
      .object({
        benchmark: benchmark.optional(),
        recipe: enumOf(REPORTED_RECIPE_IDS, 'recipe id: a registered one, or one only a paper reports (e.g. logitnorm_a2d); an unknown id is a 400 listing the known ones').optional(),
        scorer: scorer.optional(),
        ood: enumOf([...OOD_NAMES], "'near', a Far-OOD set or 'average'; an unknown one is a 400 listing the known ones").optional(),
      })
      .strict(),
  };
}

export const BenchmarkParam = z.object({
  benchmark: z
    .string()
    .openapi({ param: { name: 'benchmark', in: 'path' }, description: 'benchmark id (GET /api/benchmarks); an unknown id is a 404 listing the known ones', example: 'hmdb51-near' }),
});
export const CellParam = z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' }, description: 'cell id (GET /api/cells)' }) });

// ---------------------------------------------------------------- responses

const settings = z.record(z.string(), z.unknown());
const paper = z.object({ title: z.string(), url: z.string() }).nullable().describe('the paper the method comes from');

export const BenchmarkInfo = z
  .looseObject({
    id: z.string(),
    title: z.string(),
    origin: z.string().optional().describe('generated, multiood, dataset (a public dataset with a loader) or user (a declared folder)'),
    generated: z.boolean().optional().describe('whether the data are generated rather than recorded'),
    description: z.string().optional(),
    setting: z.string().describe('near or far'),
    modalities: z.array(z.looseObject({ name: z.string(), dim: z.number().int() })).describe('every modality, in concatenation order, with its feature width'),
    modalitySets: z.array(z.array(z.string())).optional().describe('the modality sets run; the first is the default'),
    classes: z.number().int().describe('number of ID classes (declared benchmarks: of all their classes)'),
    classNames: z.array(z.string()).optional(),
    splits: z
      .union([z.number().int(), z.record(z.string(), z.number())])
      .describe('built-in: number of dataset splits (class partitions); declared: rows per split as the declaration gives them'),
    extrapolated: z.array(z.string()).optional().describe('training settings this project assumed where upstream ran none'),
    partitions: z.record(z.string(), z.unknown()).optional().describe('class partitions the database recorded, with the classes of each split'),
    available: z.boolean().describe("whether this server's data folder has the benchmark's data"),
  })
  .openapi('Benchmark');

export const MethodsBody = z
  .object({
    scorers: z.array(z.object({ id: z.string(), title: z.string(), summary: z.string(), paper, defaults: settings.describe('default settings') })),
    recipes: z.array(
      z.object({
        id: z.string(),
        title: z.string(),
        summary: z.string(),
        paper,
        family: z.string(),
        settings: z.record(z.string(), settings).describe('benchmark id -> the resolved training config for its default modality set'),
      }),
    ),
  })
  .openapi('Methods');

/** Inlined per metric (not a component): a $ref would drop each metric's description. */
const MeanStd = z
  .object({
    mean: z.number().describe(`mean over seeds and splits, ${FRACTION}`),
    std: z.number().nullable().describe(`sample standard deviation (n - 1), ${FRACTION}; null when n < 2`),
  });

const metricsOf = <T extends z.ZodType>(of: (description: string) => T) =>
  Object.fromEntries(METRICS.map((m) => [m, of(METRIC_DESCRIPTIONS[m])])) as Record<(typeof METRICS)[number], T>;

const modalitySet = z.string().describe("modality names joined by '+', e.g. video+flow");

export const Configuration = z
  .object({
    key: z.string(),
    isDefault: z.boolean().describe('default training and scorer settings on the default backend'),
    ranked: z.boolean().describe('the configuration the leaderboard ranks for this (benchmark, modalities, recipe, scorer)'),
    settings: settings.describe('training config, backend, code versions, data fingerprint, scorer settings'),
    differences: z.array(z.string()).describe('what differs from the ranked configuration (empty for the ranked one)'),
  })
  .openapi('Configuration');

export const LeaderboardRow = z
  .object({
    benchmark: z.string(),
    modalities: modalitySet,
    recipe: z.string(),
    scorer: z.string(),
    ood: z.string().describe("an OOD set, or 'average' (Far-OOD: per-cell mean over OOD sets, then over seeds and splits)"),
    n: z.number().int().describe('cells (seeds x splits) pooled, all of one configuration'),
    ...metricsOf((d) => MeanStd.describe(d)),
    configuration: Configuration,
  })
  .openapi('LeaderboardRow');

export const LeaderboardBody = z
  .object({ benchmark: z.string(), configurations: z.enum(['ranked', 'all']), rows: z.array(LeaderboardRow) })
  .openapi('Leaderboard');

const RunFields = {
  id: z.number().int(),
  command: z.string(),
  gitCommit: z.string().nullable(),
  harnessVersion: z.string(),
  backend: z.string(),
  machine: z.string(),
  shard: z.string().nullable().describe("e.g. '2/3' when sharded"),
  startedAt: z.string().describe('ISO 8601'),
  endedAt: z.string().nullable().describe('ISO 8601; null while running or when interrupted'),
};
export const RunItem = z.object({ ...RunFields, cells: z.number().int().describe('cells the run committed') }).openapi('Run');

export const CellConfig = z
  .object({
    benchmark: z.string(),
    dataFingerprint: z.string().describe("content hash of the benchmark's declaration and data files"),
    modalities: z.array(z.string()),
    recipe: z.string(),
    training: settings.describe("the recipe's resolved training config"),
    seed: z.number().int(),
    split: z.number().int(),
    backend: z.string(),
    trainingCode: z.string().describe('code version of training'),
    defaultTraining: z.boolean(),
    scorers: z.array(z.object({ id: z.string(), key: z.string(), settings, code: z.string(), isDefault: z.boolean() })).describe('scorer configurations asked of the cell'),
  })
  .openapi('CellConfig');

export const CellItem = z
  .object({
    id: z.string(),
    config: CellConfig,
    status: z.enum(['done', 'failed']),
    startedAt: z.string(),
    endedAt: z.string(),
    seconds: z.number(),
    error: z.string().nullable().describe('one line, for failed cells'),
    results: z.number().int().describe('result rows'),
    run: z.object(RunFields).describe('the run that committed the cell'),
  })
  .openapi('Cell');

const paged = <T extends z.ZodType>(item: T, name: string) =>
  z.object({ total: z.number().int(), limit: z.number().int(), offset: z.number().int(), items: z.array(item) }).openapi(name);
export const CellsBody = paged(CellItem, 'CellPage');

export const Diagnostics = z
  .object({
    lId: z.number().nullable().describe('modality prediction discrepancy on ID test; null with one modality'),
    lOod: z.record(z.string(), z.number().nullable()).describe('OOD set -> l_OOD'),
    curve: z.array(z.record(z.string(), z.unknown())).describe('per-epoch loss terms, accuracies (fractions) and seconds'),
    bestEpoch: z.number().int(),
    histograms: z
      .record(z.string(), z.object({ edges: z.array(z.number()), counts: z.record(z.string(), z.array(z.number())) }))
      .describe("scorer -> { bin edges, OOD set ('id' for ID test) -> counts }"),
    skipped: z.array(z.object({ scorer: z.string(), key: z.string().optional(), code: z.string().optional(), reason: z.string() })).optional(),
  })
  .openapi('Diagnostics');

export const ResultItem = z
  .object({
    cellId: z.string(),
    benchmark: z.string(),
    modalities: modalitySet,
    recipe: z.string(),
    scorer: z.string(),
    ood: z.string(),
    seed: z.number().int(),
    split: z.number().int(),
    ...metricsOf((d) => z.number().describe(d)),
    configKey: z.string().describe("the configuration the row belongs to (a leaderboard row's configuration.key)"),
    isDefault: z.boolean(),
    scorerSettings: settings,
    scorerCode: z.string(),
  })
  .openapi('Result');
export const ResultsBody = paged(ResultItem, 'ResultPage');

export const ReportedRow = z
  .object({
    kind: z.literal('reported').describe('a number a paper printed, never reproduced by the harness'),
    submission: z.string().describe('the submission folder (submissions/<id>)'),
    title: z.string(),
    paper: z.string().describe("the paper's URL"),
    source: z.object({ paper: z.string(), url: z.string(), venue: z.string().optional() }).describe('where the numbers were printed'),
    table: z.string().describe('the table that printed the row'),
    page: z.number().int().optional(),
    alsoIn: z.array(z.string()).optional().describe('other tables printing the same numbers'),
    benchmark: z.string(),
    modalities: modalitySet,
    recipe: z.string(),
    scorer: z.string(),
    ood: z.enum(OOD_NAMES).describe("'near', a Far-OOD set or 'average'"),
    fpr95: z.number().describe(`${METRIC_DESCRIPTIONS.fpr95} (the printed value / 100)`),
    auroc: z.number().describe(`${METRIC_DESCRIPTIONS.auroc} (the printed value / 100)`),
    idAcc: z.number().nullable().describe(`${METRIC_DESCRIPTIONS.idAcc} (the printed value / 100); null when the table prints none`),
  })
  .openapi('ReportedRow');
export type ReportedApiRow = z.output<typeof ReportedRow>;
export const ReportedBody = z.object({ kind: z.literal('reported'), rows: z.array(ReportedRow) }).openapi('Reported');

export const OpenApiDocument = z.looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.record(z.string(), z.unknown()) }).openapi('OpenAPIDocument');
