import { existsSync, realpathSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { Hono, type Context } from 'hono';
import { cors } from 'hono/cors';
import { z } from 'zod';
import { benchmarkTrainingDefaults } from '../../datasets/benchmark.ts';
import { BENCHMARKS, benchmarkById } from '../../datasets/registry.ts';
import { SCORERS } from '../../methods/scorers/index.ts';
import { RECIPES } from '../../methods/training/recipes/index.ts';
import type { StoreQueries } from '../store/queries.ts';
import { reportedRows, SUBMISSIONS_DIR } from '../submissions/load.ts';
import { OPENAPI } from './openapi.ts';

const READ_METHODS = ['GET', 'HEAD', 'OPTIONS'];

const text = z.string().min(1).max(200);
/**
 * Every modality some benchmark has: a modality filter may only name these. The built-ins', plus
 * those of the declared benchmarks each served database records (added by createApp).
 */
const KNOWN_MODALITIES = new Set<string>(BENCHMARKS.flatMap((b) => b.modalities.map((m) => m.name)));
/**
 * A set of known modality names. Parsed into a set (duplicates collapse) of names checked against
 * the registry, so a request can name at most KNOWN_MODALITIES.size of them: the store's
 * order-insensitive match then stays small however long the query string is.
 */
const modalities = z
  .string()
  .min(1)
  .max(200)
  .transform((s) => [...new Set(s.split(/[,+\s]+/).filter(Boolean))])
  .refine((list) => list.length > 0, 'expected modality names separated by "," or "+"')
  .superRefine((list, ctx) => {
    const unknown = list.find((m) => !KNOWN_MODALITIES.has(m));
    if (unknown !== undefined) ctx.addIssue({ code: 'custom', message: `unknown modality ${JSON.stringify(unknown.slice(0, 40))} (expected some of ${[...KNOWN_MODALITIES].join(', ')})` });
  });
const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.string().regex(/^\d+$/, 'expected an integer').transform(Number).pipe(z.number().int().min(min).max(max));
const page = { limit: int(1, 1000).default(100), offset: int(0).default(0) };

const leaderboardQuery = z.object({ recipe: text, modalities, scorer: text }).partial().strict();
const cellsQuery = z.object({ benchmark: text.optional(), recipe: text.optional(), modalities: modalities.optional(), status: z.enum(['done', 'failed']).optional(), run: int(1).optional(), ...page }).strict();
const resultsQuery = z
  .object({
    benchmark: text.optional(),
    recipe: text.optional(),
    modalities: modalities.optional(),
    scorer: text.optional(),
    ood: text.optional(),
    seed: int(0).optional(),
    split: int(0).optional(),
    ...page,
  })
  .strict();
const emptyQuery = z.object({}).strict();
const reportedQuery = z.object({ benchmark: text, recipe: text, scorer: text }).partial().strict();

class BadParameter extends Error {
  constructor(
    message: string,
    readonly parameter: string,
  ) {
    super(message);
  }
}

/** Validates the query string (one value per key) or throws BadParameter naming the first bad key. */
function query<T extends z.ZodType>(c: Context, schema: T): z.output<T> {
  const parsed = schema.safeParse(c.req.query());
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') throw new BadParameter(`unknown parameter ${issue.keys[0]}`, issue.keys[0]!);
  const parameter = String(issue.path[0] ?? '');
  throw new BadParameter(`${parameter}: ${issue.message}`, parameter);
}

export interface AppOptions {
  /** folder served for non-/api paths (default: site/dist when it exists) */
  readonly staticRoot?: string | null;
  /** the data folder availability is checked against */
  readonly dataDir?: string;
  /** the submissions folder /api/reported reads (default: the repository's submissions/) */
  readonly submissionsDir?: string;
}

/**
 * The read-only results API over a store's queries, plus the static site. Testable with
 * `app.request()`; nothing in it writes (any method but GET/HEAD/OPTIONS is 405).
 */
export function createApp(store: { readonly queries: StoreQueries }, options: AppOptions = {}): Hono {
  const app = new Hono();
  const q = store.queries;
  // Declared benchmarks exist only in the database: their ids and modalities are known values too.
  const recordedIds = new Set<string>();
  for (const b of q.benchmarks()) {
    recordedIds.add(b.id);
    const mods = b.declaration.modalities;
    if (Array.isArray(mods)) for (const m of mods) if (m && typeof m.name === 'string') KNOWN_MODALITIES.add(m.name);
  }
  const knownBenchmark = (id: string) => benchmarkById(id) !== undefined || recordedIds.has(id);

  app.use('*', async (c, next) => {
    if (!READ_METHODS.includes(c.req.method)) {
      return c.json({ error: `method ${c.req.method} not allowed: this API is read-only` }, 405, { Allow: READ_METHODS.join(', ') });
    }
    await next();
  });
  app.use('/api/*', cors({ origin: '*', allowMethods: READ_METHODS }));
  app.onError((err, c) => {
    if (err instanceof BadParameter) return c.json({ error: err.message, parameter: err.parameter }, 400);
    return c.json({ error: 'internal error' }, 500);
  });

  app.get('/api/openapi.json', (c) => c.json(OPENAPI));

  app.get('/api/benchmarks', (c) => {
    query(c, emptyQuery);
    // Built-in benchmarks, then those only the database knows (declared by a user's folder).
    const recorded = new Map(q.benchmarks().map((b) => [b.id, b.declaration] as const));
    const builtin = BENCHMARKS.map((b) => ({
      id: b.id,
      title: b.title,
      origin: b.origin,
      generated: b.generatedData === true,
      ...(b.description ? { description: b.description } : {}),
      setting: b.setting,
      modalities: b.modalities,
      modalitySets: b.modalitySets,
      classes: b.classNames.length,
      classNames: b.classNames,
      splits: b.splits,
      ...(b.extrapolated ? { extrapolated: b.extrapolated } : {}),
      ...((recorded.get(b.id)?.partitions as object | undefined) ? { partitions: recorded.get(b.id)!.partitions } : {}),
      available: b.availability(options.dataDir).available,
    }));
    const declared = [...recorded.entries()]
      .filter(([id]) => !BENCHMARKS.some((b) => b.id === id))
      .map(([id, d]) => ({
        ...d,
        id,
        classes: Array.isArray(d.classNames) ? d.classNames.length : 0,
        available: false,
      }));
    return c.json([...builtin, ...declared]);
  });

  app.get('/api/methods', (c) => {
    query(c, emptyQuery);
    return c.json({
      scorers: SCORERS.map((s) => ({ id: s.id, title: s.title, summary: s.summary, paper: s.paper, defaults: s.settings.parse({}) })),
      recipes: RECIPES.map((r) => ({
        id: r.id,
        title: r.title,
        summary: r.summary,
        paper: r.paper,
        family: r.family,
        /** benchmark id -> the resolved training config for its default modality set */
        settings: Object.fromEntries(BENCHMARKS.map((b) => [b.id, r.configure(benchmarkTrainingDefaults(b, b.modalitySets[0] ?? []))])),
      })),
    });
  });

  app.get('/api/leaderboard/:benchmark', (c) => {
    const benchmark = c.req.param('benchmark');
    const filter = query(c, leaderboardQuery);
    if (!knownBenchmark(benchmark)) return c.json({ error: `unknown benchmark ${benchmark}`, parameter: 'benchmark' }, 404);
    return c.json({ benchmark, rows: q.leaderboard({ benchmark, ...filter }) });
  });

  app.get('/api/runs', (c) => {
    query(c, emptyQuery);
    return c.json(q.runs());
  });

  app.get('/api/cells', (c) => {
    const { limit, offset, run, ...filter } = query(c, cellsQuery);
    return c.json({ ...q.cells({ ...filter, ...(run !== undefined ? { runId: run } : {}) }, { limit, offset }), limit, offset });
  });

  app.get('/api/cells/:id/diagnostics', (c) => {
    query(c, emptyQuery);
    const id = c.req.param('id');
    const d = q.diagnostics(id);
    if (d === undefined) return c.json({ error: `no cell ${id}`, parameter: 'id' }, 404);
    if (d === null) return c.json({ error: `cell ${id} has no diagnostics`, parameter: 'id' }, 404);
    return c.json(d);
  });

  app.get('/api/results', (c) => {
    const { limit, offset, ...filter } = query(c, resultsQuery);
    return c.json({ ...q.results(filter, { limit, offset }), limit, offset });
  });

  app.get('/api/reported', (c) => {
    const filter = query(c, reportedQuery);
    const rows = cachedReportedRows(options.submissionsDir ?? SUBMISSIONS_DIR).filter(
      (r) => (!filter.benchmark || r.benchmark === filter.benchmark) && (!filter.recipe || r.recipe === filter.recipe) && (!filter.scorer || r.scorer === filter.scorer),
    );
    return c.json({ kind: 'reported', rows });
  });

  app.all('/api/*', (c) => c.json({ error: `no such endpoint ${c.req.path}` }, 404));

  const root = options.staticRoot === undefined ? (existsSync('site/dist') ? 'site/dist' : null) : options.staticRoot;
  const rootReal = root && existsSync(root) ? realpathSync(root) : null;
  if (rootReal) app.get('*', (c) => serveStaticFile(c, rootReal));
  return app;
}

/** The submissions are files of the checkout: read and validated once per process, not per request. */
const reportedCache = new Map<string, ReturnType<typeof reportedRows>>();
function cachedReportedRows(dir: string): ReturnType<typeof reportedRows> {
  let rows = reportedCache.get(dir);
  if (!rows) reportedCache.set(dir, (rows = reportedRows(dir)));
  return rows;
}

const inside = (path: string, root: string) => path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);

/**
 * Serves a regular file inside `root` (already a real path). The request path is decoded once
 * (a bad escape or a NUL byte is a 400), and the file is resolved through every symlink before
 * the containment check, so a link placed in the folder cannot expose anything outside it.
 * Folders serve their index.html.
 */
async function serveStaticFile(c: Context, root: string): Promise<Response> {
  const raw = new URL(c.req.url).pathname;
  let path: string;
  try {
    path = decodeURIComponent(raw);
  } catch {
    return c.json({ error: `bad path ${JSON.stringify(raw)}: invalid percent-encoding` }, 400);
  }
  if (path.includes('\0')) return c.json({ error: 'bad path: contains a NUL byte' }, 400);
  let real: string;
  try {
    real = await realpath(resolve(root, `.${path}`));
    if (inside(real, root) && (await stat(real)).isDirectory()) real = await realpath(join(real, 'index.html'));
  } catch {
    return c.notFound();
  }
  if (!inside(real, root)) return c.notFound();
  const info = await stat(real).catch(() => undefined);
  if (!info?.isFile()) return c.notFound();
  const file = Bun.file(real);
  return new Response(file, { headers: { 'Content-Type': file.type, 'Content-Length': String(info.size) } });
}
