import { existsSync, realpathSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { createRoute, OpenAPIHono, type RouteConfig, type z } from '@hono/zod-openapi';
import type { Context, Hono } from 'hono';
import type { BlankEnv } from 'hono/types';
import { cors } from 'hono/cors';
import { benchmarkTrainingDefaults } from '../../datasets/benchmark.ts';
import { benchmarkRecord } from '../benchmark-record.ts';
import { BENCHMARKS, benchmarkById } from '../../datasets/registry.ts';
import { SCORERS } from '../../methods/scorers/index.ts';
import { RECIPES } from '../../methods/training/recipes/index.ts';
import type { StoreQueries } from '../store/queries.ts';
import { type ReportedResult, reportedRows, SUBMISSIONS_DIR } from '../submissions/load.ts';
import {
  BAD_REQUEST,
  BenchmarkInfo,
  BenchmarkParam,
  BUILTIN_BENCHMARK_IDS,
  BUILTIN_MODALITIES,
  CellParam,
  CellsBody,
  Diagnostics,
  type KnownValues,
  LeaderboardBody,
  MethodsBody,
  NOT_FOUND,
  ok,
  OpenApiDocument,
  querySchemas,
  ReportedBody,
  type ReportedApiRow,
  ResultsBody,
  RunItem,
} from './schemas.ts';

const READ_METHODS = ['GET', 'HEAD', 'OPTIONS'];

export interface AppOptions {
  /** folder served for non-/api paths (default: site/dist when it exists) */
  readonly staticRoot?: string | null;
  /** the data folder availability is checked against */
  readonly dataDir?: string;
  /** the submissions folder /api/reported reads (default: the repository's submissions/) */
  readonly submissionsDir?: string;
}

/** The document's header; the paths and schemas are generated from the routes' zod schemas (schemas.ts). */
export const OPENAPI_INFO = {
  openapi: '3.1.0',
  info: {
    title: 'multiood results API',
    version: '2',
    description:
      'Read-only results of the MultiOOD benchmark harness. Units: every metric (fpr95, auroc, auprIn, auprOut, idAcc) is a fraction in [0, 1] on every route, including the numbers papers reported (/api/reported: the printed x100 value / 100). OOD is the positive class. Field names are camelCase; a modality set is its names joined by "+". A query parameter the route does not take, a malformed value, or an unknown benchmark, recipe, scorer or modality (or OOD name on /api/reported) is a 400 {error, parameter, known}; an unknown :benchmark in a path is a 404 of that shape.',
  },
};

/** The printed x100 number as the fraction it stands for, exactly (the printed value has at most a few decimals). */
export const fromPercent = (x: number): number => Math.round(x * 1e6) / 1e8;

/** A reported submission row in the API's convention: fractions, camelCase, modalities joined by '+'. */
export function apiReportedRow(r: ReportedResult): ReportedApiRow {
  return {
    kind: 'reported',
    submission: r.submission,
    title: r.title,
    paper: r.paper,
    source: r.source,
    table: r.table,
    ...(r.page !== undefined ? { page: r.page } : {}),
    ...(r.also_in !== undefined ? { alsoIn: r.also_in } : {}),
    benchmark: r.benchmark,
    modalities: r.modalities.join('+'),
    recipe: r.recipe,
    scorer: r.scorer,
    ood: r.ood,
    fpr95: fromPercent(r.fpr95),
    auroc: fromPercent(r.auroc),
    idAcc: r.id_acc === undefined ? null : fromPercent(r.id_acc),
  };
}

/** The 400 body for a failed parse of a route's parameters: the first issue, the parameter it names, the values it accepts. */
function badParameter(error: z.ZodError, query: Record<string, string>, parameters: readonly string[]) {
  const issue = error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    return { error: `unknown parameter ${key.slice(0, 60)}${parameters.length ? ` (this route takes ${parameters.join(', ')})` : ' (this route takes none)'}`, parameter: key, known: [...parameters] };
  }
  const parameter = String(issue.path[0] ?? '');
  if (issue.code === 'invalid_value') {
    const known = issue.values.map(String);
    return { error: `${parameter}: unknown value ${JSON.stringify(String(query[parameter] ?? '').slice(0, 60))} (known: ${known.join(', ')})`, parameter, known };
  }
  const known = issue.code === 'custom' && Array.isArray(issue.params?.known) ? (issue.params.known as unknown[]).map(String) : undefined;
  if (known) return { error: `${parameter}: ${issue.message} (known: ${known.join(', ')})`, parameter, known };
  return { error: `${parameter}: ${issue.message}`, parameter };
}

/**
 * The read-only results API over a store's queries, plus the static site. Testable with
 * `app.request()`; nothing in it writes (any method but GET/HEAD/OPTIONS is 405). Every /api
 * route is declared with zod schemas (schemas.ts) that validate its parameters and generate
 * the OpenAPI document at /api/openapi.json.
 */
export function createApp(store: { readonly queries: StoreQueries }, options: AppOptions = {}): Hono {
  const q = store.queries;
  /** Route path (Hono's spelling) -> the query parameters it takes, for the 400 naming them. */
  const parametersOf = new Map<string, string[]>();
  const app = new OpenAPIHono<BlankEnv>({
    defaultHook: (result, c) => {
      if (result.success) return;
      const parameters = parametersOf.get(c.req.routePath) ?? [];
      return c.json(badParameter(result.error, c.req.query(), parameters), 400);
    },
  });

  // Declared benchmarks exist only in the database, which runs may add to while the app serves:
  // their ids and modalities are known values too, looked up when a value is not a built-in one.
  const builtinIds = new Set(BUILTIN_BENCHMARK_IDS);
  const builtinModalities = new Set(BUILTIN_MODALITIES);
  const recordedIds = () => q.benchmarks().map((b) => b.id).filter((id) => !builtinIds.has(id));
  const recordedModalities = () =>
    q.benchmarks().flatMap((b) => {
      const mods = b.declaration.modalities;
      return Array.isArray(mods) ? mods.flatMap((m) => (m && typeof m.name === 'string' && !builtinModalities.has(m.name) ? [m.name as string] : [])) : [];
    });
  const known: KnownValues = {
    benchmarks: { has: (id) => builtinIds.has(id) || recordedIds().includes(id), list: () => [...BUILTIN_BENCHMARK_IDS, ...recordedIds()] },
    modalities: { has: (m) => builtinModalities.has(m) || recordedModalities().includes(m), list: () => [...new Set([...BUILTIN_MODALITIES, ...recordedModalities()])] },
  };
  const Q = querySchemas(known);

  const route = <R extends RouteConfig>(config: R): R => {
    const query = config.request?.query as z.ZodObject | undefined;
    parametersOf.set(config.path.replace(/\{(\w+)\}/g, ':$1'), query ? Object.keys(query.shape) : []);
    return createRoute(config);
  };

  app.use('*', async (c, next) => {
    if (!READ_METHODS.includes(c.req.method)) {
      return c.json({ error: `method ${c.req.method} not allowed: this API is read-only` }, 405, { Allow: READ_METHODS.join(', ') });
    }
    await next();
  });
  app.use('/api/*', cors({ origin: '*', allowMethods: READ_METHODS }));
  app.onError((_err, c) => c.json({ error: 'internal error' }, 500));

  let document: ReturnType<typeof app.getOpenAPI31Document> | undefined;
  app.openapi(
    route({
      method: 'get',
      path: '/api/openapi.json',
      summary: 'This description (OpenAPI 3.1, generated from the zod schemas the routes validate with)',
      request: { query: Q.empty },
      responses: { 200: ok(OpenApiDocument, 'The OpenAPI document'), 400: BAD_REQUEST },
    }),
    (c) => c.json((document ??= app.getOpenAPI31Document(OPENAPI_INFO)) as unknown as z.input<typeof OpenApiDocument>, 200),
  );

  app.openapi(
    route({
      method: 'get',
      path: '/api/benchmarks',
      summary: 'Benchmarks the harness knows: the built-in ones, then the declared ones the database records',
      request: { query: Q.empty },
      responses: { 200: ok(BenchmarkInfo.array(), 'Benchmarks'), 400: BAD_REQUEST },
    }),
    (c) => {
      const recorded = new Map(q.benchmarks().map((b) => [b.id, b.declaration] as const));
      // The same record a run stores (harness/benchmark-record.ts), plus whether the data is here.
      const builtin = BENCHMARKS.map((b) => ({
        ...benchmarkRecord(b).declaration,
        classes: b.classNames.length,
        available: b.availability(options.dataDir).available,
      }) as z.input<typeof BenchmarkInfo>);
      const declared = [...recorded.entries()]
        .filter(([id]) => !builtinIds.has(id))
        .map(([id, d]) => ({ ...d, id, classes: Array.isArray(d.classNames) ? d.classNames.length : 0, available: false }) as z.input<typeof BenchmarkInfo>);
      return c.json([...builtin, ...declared], 200);
    },
  );

  app.openapi(
    route({
      method: 'get',
      path: '/api/methods',
      summary: 'Post-hoc scorers (default settings, paper) and training recipes (resolved settings per benchmark)',
      request: { query: Q.empty },
      responses: { 200: ok(MethodsBody, 'Scorers and recipes'), 400: BAD_REQUEST },
    }),
    (c) =>
      c.json(
        {
          scorers: SCORERS.map((s) => ({ id: s.id, title: s.title, summary: s.summary, paper: s.paper, defaults: s.settings.parse({}) as Record<string, unknown> })),
          recipes: RECIPES.map((r) => ({
            id: r.id,
            title: r.title,
            summary: r.summary,
            paper: r.paper,
            family: r.family,
            settings: Object.fromEntries(BENCHMARKS.map((b) => [b.id, ({ ...r.configure(benchmarkTrainingDefaults(b, b.modalitySets[0] ?? [])) }) as Record<string, unknown>])),
          })),
        },
        200,
      ),
  );

  app.openapi(
    route({
      method: 'get',
      path: '/api/leaderboard/{benchmark}',
      summary:
        'Mean and sample std over seeds and splits per (modalities, recipe, scorer, OOD set) of one configuration, with a Far-OOD "average" row; metrics are fractions in [0, 1]',
      request: { params: BenchmarkParam, query: Q.leaderboard },
      responses: { 200: ok(LeaderboardBody, 'Leaderboard rows'), 400: BAD_REQUEST, 404: NOT_FOUND('No such benchmark (`known` lists the benchmark ids)') },
    }),
    (c) => {
      const { benchmark } = c.req.valid('param');
      const { configurations, ...filter } = c.req.valid('query');
      if (!known.benchmarks.has(benchmark)) {
        const ids = known.benchmarks.list();
        return c.json({ error: `unknown benchmark ${JSON.stringify(benchmark.slice(0, 60))} (known: ${ids.join(', ')})`, parameter: 'benchmark', known: ids }, 404);
      }
      return c.json({ benchmark, configurations, rows: q.leaderboard({ benchmark, ...filter }, { configurations }) as z.input<typeof LeaderboardBody>['rows'] }, 200);
    },
  );

  app.openapi(
    route({
      method: 'get',
      path: '/api/runs',
      summary: 'Harness invocations with provenance and their cell counts',
      request: { query: Q.empty },
      responses: { 200: ok(RunItem.array(), 'Runs'), 400: BAD_REQUEST },
    }),
    (c) => c.json(q.runs(), 200),
  );

  app.openapi(
    route({
      method: 'get',
      path: '/api/cells',
      summary: 'Grid cells (one trained model each) with config, status, timings and the run that committed them',
      request: { query: Q.cells },
      responses: { 200: ok(CellsBody, 'A page of cells'), 400: BAD_REQUEST },
    }),
    (c) => {
      const { limit, offset, run, ...filter } = c.req.valid('query');
      const page = q.cells({ ...filter, ...(run !== undefined ? { runId: run } : {}) }, { limit, offset });
      return c.json({ ...page, items: page.items as z.input<typeof CellsBody>['items'], limit, offset }, 200);
    },
  );

  app.openapi(
    route({
      method: 'get',
      path: '/api/cells/{id}/diagnostics',
      summary: "A cell's l_ID, l_OOD, training curve and score histograms",
      request: { params: CellParam, query: Q.empty },
      responses: { 200: ok(Diagnostics, 'Diagnostics'), 400: BAD_REQUEST, 404: NOT_FOUND('No such cell, or the cell has no diagnostics (a failed cell)') },
    }),
    (c) => {
      const { id } = c.req.valid('param');
      const d = q.diagnostics(id);
      if (d === undefined) return c.json({ error: `no cell ${id.slice(0, 200)}`, parameter: 'id' }, 404);
      if (d === null) return c.json({ error: `cell ${id} has no diagnostics`, parameter: 'id' }, 404);
      return c.json(d as z.input<typeof Diagnostics>, 200);
    },
  );

  app.openapi(
    route({
      method: 'get',
      path: '/api/results',
      summary: 'Per-cell results (one row per scorer configuration and OOD set) of finished cells; metrics are fractions in [0, 1]',
      request: { query: Q.results },
      responses: { 200: ok(ResultsBody, 'A page of results'), 400: BAD_REQUEST },
    }),
    (c) => {
      const { limit, offset, ...filter } = c.req.valid('query');
      const page = q.results(filter, { limit, offset });
      return c.json({ ...page, items: page.items as z.input<typeof ResultsBody>['items'], limit, offset }, 200);
    },
  );

  app.openapi(
    route({
      method: 'get',
      path: '/api/reported',
      summary:
        'Numbers papers printed (reported, not reproduced by the harness), from the reported submissions in submissions/, in the API convention: fractions in [0, 1] (the printed x100 value / 100), the field names of /api/results rows, with their provenance',
      request: { query: Q.reported },
      responses: { 200: ok(ReportedBody, 'Reported rows'), 400: BAD_REQUEST },
    }),
    (c) => {
      const f = c.req.valid('query');
      const rows = cachedReportedRows(options.submissionsDir ?? SUBMISSIONS_DIR).filter(
        (r) => (!f.benchmark || r.benchmark === f.benchmark) && (!f.recipe || r.recipe === f.recipe) && (!f.scorer || r.scorer === f.scorer) && (!f.ood || r.ood === f.ood),
      );
      return c.json({ kind: 'reported' as const, rows }, 200);
    },
  );

  app.all('/api/*', (c) => c.json({ error: `no such endpoint ${c.req.path}` }, 404));

  const root = options.staticRoot === undefined ? (existsSync('site/dist') ? 'site/dist' : null) : options.staticRoot;
  const rootReal = root && existsSync(root) ? realpathSync(root) : null;
  if (rootReal) app.get('*', (c) => serveStaticFile(c, rootReal));
  return app;
}

/** The submissions are files of the checkout: read, validated and converted once per process, not per request. */
const reportedCache = new Map<string, ReportedApiRow[]>();
function cachedReportedRows(dir: string): ReportedApiRow[] {
  let rows = reportedCache.get(dir);
  if (!rows) reportedCache.set(dir, (rows = reportedRows(dir).map(apiReportedRow)));
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
