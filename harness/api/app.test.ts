import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { BENCHMARKS } from '../../datasets/registry.ts';
import { SCORERS } from '../../methods/scorers/index.ts';
import { RECIPES } from '../../methods/training/recipes/index.ts';
import { openStore, type Store } from '../store/store.ts';
import { cellConfig, finishedCell, resultRow, runMeta, scorerConfig, tempDir } from '../store/test-helpers.ts';
import { REPORTED_ONLY_RECIPES } from '../submissions/schema.ts';
import { createApp, fromPercent } from './app.ts';
import * as S from './schemas.ts';

let tmp: ReturnType<typeof tempDir>;
let store: Store;
let app: Hono;
// Each done cell also scores msp with other settings (key msp:t2): a second configuration of the group, never ranked.
const done = [0, 1].map((seed) =>
  finishedCell(cellConfig({ benchmark: 'synthetic-far', seed, scorers: [scorerConfig('msp'), scorerConfig('msp', { temperature: 2 }, 't2')] }), [
    resultRow('msp', 'ucf', 0.2 + seed / 10),
    resultRow('msp', 'hmdb', 0.4),
    resultRow('msp', 'ucf', 0.6, 'msp:t2'),
  ]),
);
const failed = finishedCell(cellConfig({ benchmark: 'synthetic-far', seed: 2 }), [], { status: 'failed', error: 'boom', diagnostics: undefined });

beforeAll(() => {
  tmp = tempDir();
  const path = tmp.file('api.sqlite');
  const writer = openStore(path);
  const run = writer.beginRun(runMeta());
  for (const c of [...done, failed]) writer.commitCell(run, c);
  writer.endRun(run, '2025-01-01T02:00:00.000Z');
  writer.close();
  mkdirSync(tmp.file('dist'));
  writeFileSync(join(tmp.file('dist'), 'index.html'), '<h1>board</h1>');
  store = openStore(path, { readonly: true });
  app = createApp(store, { staticRoot: tmp.file('dist') });
});
afterAll(() => {
  store.close();
  tmp.cleanup();
});

const get = async (path: string) => {
  const res = await app.request(path);
  return { status: res.status, body: (await res.json()) as any, res };
};

describe('read endpoints', () => {
  test('/api/benchmarks and /api/methods come from the registries', async () => {
    const b = await get('/api/benchmarks');
    expect(b.status).toBe(200);
    expect(b.body.map((x: { id: string }) => x.id)).toEqual(BENCHMARKS.map((x) => x.id));
    expect(b.body.find((x: { id: string }) => x.id === 'synthetic-far')).toMatchObject({ setting: 'far', available: true });
    const m = await get('/api/methods');
    expect(m.body.scorers.map((s: { id: string }) => s.id)).toEqual(SCORERS.map((s) => s.id));
    expect(m.body.scorers.find((s: { id: string }) => s.id === 'knn').defaults).toEqual(SCORERS.find((s) => s.id === 'knn')!.settings.parse({}));
    expect(m.body.recipes.map((r: { id: string }) => r.id)).toEqual(RECIPES.map((r) => r.id));
    expect(m.body.recipes[0].settings['synthetic-far'].epochs).toBeGreaterThan(0);
  });

  test('/api/leaderboard/:benchmark aggregates and filters', async () => {
    const { status, body } = await get('/api/leaderboard/synthetic-far?recipe=a2d&modalities=audio,video&scorer=msp');
    expect(status).toBe(200);
    expect(body.rows.map((r: { ood: string; n: number }) => `${r.ood}/${r.n}`)).toEqual(['hmdb/2', 'ucf/2', 'average/2']);
    expect(body.rows[1].fpr95.mean).toBeCloseTo(0.25, 12);
    expect(body.rows[1].fpr95.std).toBeCloseTo(Math.sqrt(0.005), 12);
    expect((await get('/api/leaderboard/synthetic-far?recipe=baseline')).body.rows).toEqual([]);
    // '+' decodes to a space in a query string; both spellings select the set
    expect((await get('/api/leaderboard/synthetic-far?modalities=video+audio')).body.rows).toHaveLength(3);
    const nope = await get('/api/leaderboard/nope');
    expect(nope.status).toBe(404);
    expect(nope.body).toMatchObject({ parameter: 'benchmark', known: BENCHMARKS.map((b) => b.id) });
  });

  test('/api/leaderboard/:benchmark?configurations=all lists the other configurations with their differences', async () => {
    const ranked = await get('/api/leaderboard/synthetic-far?scorer=msp');
    expect(ranked.body.configurations).toBe('ranked');
    expect(ranked.body.rows.every((r: { configuration: { ranked: boolean } }) => r.configuration.ranked)).toBe(true);
    expect((await get('/api/leaderboard/synthetic-far?scorer=msp&configurations=ranked')).body).toEqual(ranked.body);
    const all = await get('/api/leaderboard/synthetic-far?scorer=msp&configurations=all');
    expect(all.status).toBe(200);
    expect(all.body.configurations).toBe('all');
    const others = all.body.rows.filter((r: { configuration: { ranked: boolean } }) => !r.configuration.ranked);
    expect(others.length).toBeGreaterThan(0);
    expect(all.body.rows.length).toBe(ranked.body.rows.length + others.length);
    const ucf = others.find((r: { ood: string }) => r.ood === 'ucf');
    expect(ucf).toMatchObject({ n: 2, scorer: 'msp' });
    expect(ucf.fpr95.mean).toBeCloseTo(0.6, 12);
    expect(ucf.configuration.differences.length).toBeGreaterThan(0);
    expect(ucf.configuration.differences.join(' ')).toContain('temperature');
  });

  test('/api/runs, /api/cells with provenance and pagination, diagnostics', async () => {
    const runs = await get('/api/runs');
    expect(runs.body).toHaveLength(1);
    expect(runs.body[0]).toMatchObject({ command: 'run --all', gitCommit: 'abc123', cells: 3 });
    const cells = await get('/api/cells?limit=2&offset=1');
    expect(cells.body).toMatchObject({ total: 3, limit: 2, offset: 1 });
    expect(cells.body.items).toHaveLength(2);
    expect(cells.body.items[0].run).toMatchObject({ machine: 'test', backend: 'cpu' });
    expect((await get('/api/cells?status=failed')).body.items.map((c: { error: string }) => c.error)).toEqual(['boom']);
    const d = await get(`/api/cells/${encodeURIComponent(done[0]!.id)}/diagnostics`);
    expect(d.status).toBe(200);
    // cells written without scorer skips read back with an empty list (added with issue 10)
    expect(d.body).toEqual({ skipped: [], ...done[0]!.diagnostics });
    expect((await get(`/api/cells/${encodeURIComponent(failed.id)}/diagnostics`)).status).toBe(404);
    expect((await get('/api/cells/nope/diagnostics')).status).toBe(404);
  });

  test('/api/results filters and paginates', async () => {
    const all = await get('/api/results?benchmark=synthetic-far&ood=ucf');
    expect(all.body.total).toBe(4); // two seeds x two msp configurations
    const page = await get('/api/results?benchmark=synthetic-far&limit=1&offset=3&seed=1');
    expect(page.body).toMatchObject({ total: 3, limit: 1, offset: 3, items: [] });
    const seed1 = (await get('/api/results?seed=1&ood=ucf')).body.items.find((r: { configKey: string; isDefault: boolean }) => r.isDefault);
    expect(seed1.fpr95).toBeCloseTo(0.3, 12);
  });
});

describe('validation and safety', () => {
  test.each([
    ['/api/results?limit=0', 'limit'],
    ['/api/results?limit=abc', 'limit'],
    ['/api/results?offset=-1', 'offset'],
    ['/api/results?seed=1.5', 'seed'],
    ['/api/results?bogus=1', 'bogus'],
    ['/api/cells?status=running', 'status'],
    ['/api/cells?limit=5000', 'limit'],
    ['/api/leaderboard/synthetic-far?modalities=%2C', 'modalities'],
    ['/api/runs?x=1', 'x'],
    ['/api/openapi.json?x=1', 'x'],
    ['/api/leaderboard/synthetic-far?configurations=some', 'configurations'],
    ['/api/results?seed=1&seed=2', 'seed'],
  ])('%s -> 400 naming %s', async (path, parameter) => {
    const { status, body } = await get(path);
    expect(status).toBe(400);
    expect(body.parameter).toBe(parameter);
    expect(typeof body.error).toBe('string');
  });

  const recipes = RECIPES.map((r) => r.id);
  const scorers = SCORERS.map((s) => s.id);
  const benchmarks = BENCHMARKS.map((b) => b.id);
  test.each([
    ['/api/leaderboard/synthetic-far?recipe=nope', 'recipe', recipes],
    ['/api/leaderboard/synthetic-far?scorer=nope', 'scorer', scorers],
    ['/api/cells?benchmark=nope', 'benchmark', benchmarks],
    ['/api/cells?recipe=nope', 'recipe', recipes],
    ['/api/results?benchmark=nope', 'benchmark', benchmarks],
    ['/api/results?recipe=nope', 'recipe', recipes],
    ['/api/results?scorer=nope', 'scorer', scorers],
    ['/api/reported?benchmark=nope', 'benchmark', benchmarks],
    ['/api/reported?recipe=nope', 'recipe', [...new Set([...recipes, ...Object.keys(REPORTED_ONLY_RECIPES)])]],
    ['/api/reported?scorer=nope', 'scorer', scorers],
    ['/api/reported?ood=nope', 'ood', ['near', 'UCF', 'Kinetics', 'HMDB', 'HAC', 'EPIC', 'average']],
    ['/api/results?modalities=video,nope', 'modalities', [...new Set(BENCHMARKS.flatMap((b) => b.modalities.map((m) => m.name)))]],
  ])('%s -> 400 {error, parameter: %s, known}, not an empty 200', async (path, parameter, known) => {
    const { status, body } = await get(path);
    expect(status).toBe(400);
    expect(body.parameter).toBe(parameter);
    expect(body.known).toEqual(known);
    expect(body.error).toContain('"nope"');
    expect(body.error).toContain(known[0]!);
  });

  test('an unknown parameter is a 400 naming the parameters the route takes', async () => {
    const { status, body } = await get('/api/reported?split=1');
    expect(status).toBe(400);
    expect(body).toMatchObject({ parameter: 'split', known: ['benchmark', 'recipe', 'scorer', 'ood'] });
    expect((await get('/api/runs?x=1')).body.known).toEqual([]);
  });

  test('a benchmark only the database records (declared) is a known value', async () => {
    const t = tempDir();
    const writer = openStore(t.file('declared.sqlite'));
    const run = writer.beginRun(runMeta());
    writer.recordBenchmarks([{ id: 'my-har', origin: 'user', declaration: { id: 'my-har', title: 'Mine', setting: 'near', modalities: [{ name: 'wrist', dim: 3 }], classNames: ['a', 'b'], splits: { train: 1, val: 1, test: 1 } } }]);
    writer.commitCell(run, finishedCell(cellConfig({ benchmark: 'my-har', modalities: ['wrist'] }), [resultRow('msp', 'near', 0.3)]));
    writer.endRun(run, '2025-01-01T02:00:00.000Z');
    writer.close();
    const s = openStore(t.file('declared.sqlite'), { readonly: true });
    try {
      const other = createApp(s, { staticRoot: null });
      for (const path of ['/api/results?benchmark=my-har&modalities=wrist', '/api/cells?benchmark=my-har', '/api/leaderboard/my-har', '/api/reported?benchmark=my-har']) {
        expect((await other.request(path)).status).toBe(200);
      }
      const bad = (await (await other.request('/api/results?benchmark=nope')).json()) as { known: string[] };
      expect(bad.known).toEqual([...benchmarks, 'my-har']);
      const listed = (await (await other.request('/api/benchmarks')).json()) as { id: string }[];
      expect(listed.map((b) => b.id)).toEqual([...benchmarks, 'my-har']);
      expect(S.BenchmarkInfo.array().safeParse(listed).success).toBe(true);
      const mods = (await (await other.request('/api/results?modalities=nope')).json()) as { known: string[] };
      expect(mods.known).toContain('wrist');
      // the declared modality is this app's, not every app's
      expect((await get('/api/results?modalities=wrist')).status).toBe(400);
    } finally {
      s.close();
      t.cleanup();
    }
  });

  test('only GET, HEAD and OPTIONS: anything else is 405 and writes nothing', async () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const res = await app.request('/api/cells', { method, body: '{}' });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    }
    expect((await app.request('/index.html', { method: 'POST' })).status).toBe(405);
    expect((await get('/api/cells')).body.total).toBe(3);
    const head = await app.request('/api/runs', { method: 'HEAD' });
    expect(head.status).toBe(200);
  });

  test('CORS for GET, preflight answered', async () => {
    const res = await app.request('/api/runs', { headers: { Origin: 'https://example.org' } });
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const pre = await app.request('/api/runs', { method: 'OPTIONS', headers: { Origin: 'https://example.org', 'Access-Control-Request-Method': 'GET' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-methods')).toBe('GET,HEAD,OPTIONS');
  });

  test('unknown /api path is a JSON 404; other paths come from the static folder', async () => {
    expect((await get('/api/nope')).status).toBe(404);
    const page = await app.request('/index.html');
    expect(page.status).toBe(200);
    expect(await page.text()).toBe('<h1>board</h1>');
    expect((await app.request('/')).status).toBe(200);
  });
});

describe('OpenAPI (generated from the zod schemas the routes validate with)', () => {
  const routes = () =>
    new Set(
      app.routes
        .filter((r) => r.method === 'GET' && r.path.startsWith('/api/') && !r.path.includes('*'))
        .map((r) => r.path.replace(/:(\w+)/g, '{$1}')),
    );

  test('describes every route and only those; every parameter; 400 documented; units stated', async () => {
    const { status, body } = await get('/api/openapi.json');
    expect(status).toBe(200);
    expect(body.openapi).toBe('3.1.0');
    expect(body.info.description).toContain('fraction in [0, 1]');
    expect([...routes()].sort()).toEqual(Object.keys(body.paths).sort());
    const params = (path: string) => (body.paths[path].get.parameters ?? []).map((p: { name: string; in: string }) => `${p.in}:${p.name}`).sort();
    expect(params('/api/leaderboard/{benchmark}')).toEqual(['path:benchmark', 'query:configurations', 'query:modalities', 'query:recipe', 'query:scorer']);
    expect(params('/api/cells')).toEqual(['query:benchmark', 'query:limit', 'query:modalities', 'query:offset', 'query:recipe', 'query:run', 'query:status']);
    expect(params('/api/results')).toEqual(['query:benchmark', 'query:limit', 'query:modalities', 'query:offset', 'query:ood', 'query:recipe', 'query:scorer', 'query:seed', 'query:split']);
    expect(params('/api/reported')).toEqual(['query:benchmark', 'query:ood', 'query:recipe', 'query:scorer']);
    expect(params('/api/cells/{id}/diagnostics')).toEqual(['path:id']);
    for (const path of ['/api/benchmarks', '/api/methods', '/api/runs', '/api/openapi.json']) expect(params(path)).toEqual([]);
    for (const [path, item] of Object.entries(body.paths) as [string, { get: { summary: string; responses: Record<string, { description: string; content: object }> } }][]) {
      expect(item.get.summary.length, path).toBeGreaterThan(10);
      expect(item.get.responses['200']!.content, path).toHaveProperty('application/json');
      // every route validates its query (an unknown parameter is a 400), so every one documents the 400
      expect(item.get.responses['400']!.content, path).toHaveProperty(['application/json', 'schema', '$ref'], '#/components/schemas/Error');
      for (const p of (body.paths[path].get.parameters ?? []) as { description?: string; schema: { type?: string } }[]) {
        expect(p.description, `${path} ${JSON.stringify(p)}`).toBeString();
        expect(p.schema.type, path).toBeOneOf(['string', 'integer']);
      }
    }
    expect(body.paths['/api/leaderboard/{benchmark}'].get.responses['404']).toBeDefined();
    // the known values of the registries are the documented enums
    const param = (path: string, name: string) => body.paths[path].get.parameters.find((p: { name: string }) => p.name === name).schema;
    expect(param('/api/results', 'recipe').enum).toEqual(RECIPES.map((r) => r.id));
    expect(param('/api/results', 'scorer').enum).toEqual(SCORERS.map((s) => s.id));
    expect(param('/api/leaderboard/{benchmark}', 'configurations')).toMatchObject({ enum: ['ranked', 'all'], default: 'ranked' });
    expect(param('/api/results', 'limit')).toMatchObject({ type: 'integer', minimum: 1, maximum: 1000, default: 100 });
    // units: every metric of every row schema says it is a fraction
    const schemas = body.components.schemas;
    for (const name of ['Result', 'ReportedRow']) {
      for (const m of ['fpr95', 'auroc', 'idAcc']) expect(schemas[name].properties[m].description, `${name}.${m}`).toContain('fraction in [0, 1]');
    }
    for (const m of ['fpr95', 'auroc', 'auprIn', 'auprOut', 'idAcc']) {
      const meanStd = schemas.LeaderboardRow.properties[m];
      expect(meanStd.description, m).toContain('fraction in [0, 1]');
      expect(meanStd.properties.mean.description, m).toContain('fraction in [0, 1]');
      expect(meanStd.properties.std.description, m).toContain('fraction in [0, 1]');
    }
    expect(JSON.stringify(body)).not.toContain('x100, as printed');
    // every $ref resolves to a component; every path parameter of a path is declared
    for (const ref of JSON.stringify(body).match(/"\$ref":"[^"]+"/g) ?? []) {
      const name = /#\/components\/schemas\/(\w+)"$/.exec(ref)?.[1];
      expect(name && schemas[name], ref).toBeDefined();
    }
    for (const path of Object.keys(body.paths)) {
      for (const [, name] of path.matchAll(/\{(\w+)\}/g)) expect(params(path), path).toContain(`path:${name}`);
    }
  });

  test('a response of every route parses with its declared schema', async () => {
    const cases: [string, { safeParse(x: unknown): { success: boolean; error?: unknown } }][] = [
      ['/api/openapi.json', S.OpenApiDocument],
      ['/api/benchmarks', S.BenchmarkInfo.array()],
      ['/api/methods', S.MethodsBody],
      ['/api/leaderboard/synthetic-far', S.LeaderboardBody],
      ['/api/leaderboard/synthetic-far?configurations=all', S.LeaderboardBody],
      ['/api/runs', S.RunItem.array()],
      ['/api/cells', S.CellsBody],
      [`/api/cells/${encodeURIComponent(done[0]!.id)}/diagnostics`, S.Diagnostics],
      ['/api/results', S.ResultsBody],
      ['/api/reported', S.ReportedBody],
      ['/api/results?recipe=nope', S.ErrorBody],
      ['/api/leaderboard/nope', S.ErrorBody],
    ];
    const covered = new Set<string>();
    for (const [path, schema] of cases) {
      const { body } = await get(path);
      const parsed = schema.safeParse(body);
      expect(parsed.success, `${path}: ${JSON.stringify(parsed.error)}`).toBe(true);
      const match = [...routes()].find((r) => new RegExp(`^${r.replace(/\{\w+\}/g, '[^/]+')}$`).test(path.split('?')[0]!));
      if (match) covered.add(match);
    }
    expect([...covered].sort()).toEqual([...routes()].sort());
    // the leaderboard's rows are non-empty, so the row schema was exercised
    expect((await get('/api/leaderboard/synthetic-far')).body.rows.length).toBeGreaterThan(0);
  });
});

describe('/api/reported', () => {
  test('serves the reported submissions, labelled, filtered by benchmark/recipe/scorer', async () => {
    const all = await get('/api/reported');
    expect(all.status).toBe(200);
    expect(all.body.kind).toBe('reported');
    expect(all.body.rows.length).toBeGreaterThan(100);
    expect(all.body.rows.every((r: { kind: string; submission: string }) => r.kind === 'reported' && r.submission.length > 0)).toBe(true);
    const { status, body } = await get('/api/reported?benchmark=hmdb51-near&recipe=baseline&scorer=msp');
    expect(status).toBe(200);
    expect(body.rows).toHaveLength(1);
    // the API's convention: fractions and the field names of /api/results rows, with the provenance kept
    expect(body.rows[0]).toMatchObject({ submission: 'multiood-paper', table: '1', modalities: 'video+flow', ood: 'near', paper: 'https://arxiv.org/abs/2405.17419' });
    expect(body.rows[0].fpr95).toBe(0.4466);
    expect(body.rows[0].auroc).toBe(0.8774);
    expect(body.rows[0].idAcc).toBe(0.8932);
    expect(body.rows[0]).not.toHaveProperty('id_acc');
    expect(body.rows[0].source.url).toStartWith('https://');
    const results = (await get('/api/results')).body.items[0];
    for (const m of ['fpr95', 'auroc', 'idAcc', 'benchmark', 'modalities', 'recipe', 'scorer', 'ood']) {
      expect(body.rows[0], m).toHaveProperty(m);
      expect(typeof body.rows[0][m], m).toBe(typeof results[m]);
    }
    for (const r of all.body.rows as { fpr95: number; auroc: number; idAcc: number | null }[]) {
      for (const v of [r.fpr95, r.auroc, r.idAcc]) if (v !== null) expect(v >= 0 && v <= 1).toBe(true);
    }
    // rows a table prints without ID ACC say so with null
    expect(all.body.rows.some((r: { idAcc: number | null }) => r.idAcc === null)).toBe(true);
    // paper-only recipes and the OOD column filter too
    const only = await get('/api/reported?recipe=logitnorm_a2d&ood=near');
    expect(only.status).toBe(200);
    expect(only.body.rows.length).toBeGreaterThan(0);
    expect(only.body.rows.every((r: { recipe: string; ood: string }) => r.recipe === 'logitnorm_a2d' && r.ood === 'near')).toBe(true);
    // a known benchmark with no reported rows is an empty 200
    expect(await get('/api/reported?benchmark=synthetic-far')).toMatchObject({ status: 200, body: { rows: [] } });
  });

  test('fromPercent gives the fraction the printed number stands for, and back exactly', () => {
    for (const printed of [44.66, 87.74, 0.01, 100, 0, 33.3, 12.345, 99.99]) {
      expect(fromPercent(printed)).toBe(Number((printed / 100).toFixed(8)));
      expect(Math.round(fromPercent(printed) * 1e8) / 1e6).toBe(printed);
    }
  });

  test('a bad or unknown parameter is a 400 naming it', async () => {
    const bad = await get('/api/reported?scorer=');
    expect(bad.status).toBe(400);
    expect(bad.body.parameter).toBe('scorer');
    const unknown = await get('/api/reported?split=1');
    expect(unknown.status).toBe(400);
    expect(unknown.body.parameter).toBe('split');
  });
});

describe('hostile requests (issue 14)', () => {
  test('a long ?modalities= of unknown names is a fast 400, not a permutation explosion', async () => {
    const names = Array.from({ length: 11 }, (_, i) => `m${i}`).join(',');
    for (const path of ['/api/results', '/api/cells', '/api/leaderboard/synthetic-far']) {
      const start = performance.now();
      const { status, body } = await get(`${path}?modalities=${names}`);
      expect(performance.now() - start).toBeLessThan(200);
      expect(status).toBe(400);
      expect(body).toMatchObject({ parameter: 'modalities' });
      expect(body.error).toContain('unknown modality "m0"');
    }
  });

  test('every known modality, repeated, is parsed as a set: bounded time and memory', async () => {
    const known = [...new Set(BENCHMARKS.flatMap((b) => b.modalities.map((m) => m.name)))];
    expect(known.length).toBeLessThanOrEqual(8);
    const repeated = Array.from({ length: 30 }, () => known.join(',')).join(',').slice(0, 199).replace(/,[^,]*$/, '');
    Bun.gc(true);
    const before = process.memoryUsage().rss;
    const start = performance.now();
    for (const path of ['/api/results', '/api/cells', '/api/leaderboard/synthetic-far']) {
      const all = await get(`${path}?modalities=${known.join(',')}`);
      expect(all.status).toBe(200);
      const again = await get(`${path}?modalities=${repeated}`);
      expect(again.status).toBe(200);
      expect(again.body).toEqual(all.body);
    }
    expect(performance.now() - start).toBeLessThan(2000);
    expect(process.memoryUsage().rss - before).toBeLessThan(128 * 1024 * 1024);
    // a query string longer than any set of names is refused outright
    expect((await get(`/api/results?modalities=${'video,'.repeat(100)}`)).status).toBe(400);
  });

  test('the static handler serves only regular files inside the site folder', async () => {
    const { symlinkSync, writeFileSync: write } = await import('node:fs');
    const outside = tmp.file('secret.txt');
    write(outside, 'token');
    const dist = tmp.file('dist');
    write(join(dist, 'inside.txt'), 'fine');
    symlinkSync(outside, join(dist, 'leak.txt'));
    symlinkSync(join(dist, 'inside.txt'), join(dist, 'alias.txt'));
    mkdirSync(join(dist, 'sub'));
    write(join(dist, 'sub', 'index.html'), '<p>sub</p>');
    Bun.spawnSync(['mkfifo', join(dist, 'pipe')]);
    expect((await app.request('/leak.txt')).status).toBe(404);
    expect(await (await app.request('/alias.txt')).text()).toBe('fine');
    expect(await (await app.request('/sub/')).text()).toBe('<p>sub</p>');
    expect((await app.request('/pipe')).status).toBe(404);
    expect((await app.request('/%2e%2e/secret.txt')).status).toBe(404);
    expect((await app.request('/..%2fsecret.txt')).status).toBe(404);
    expect((await app.request('/index.html%00.txt')).status).toBe(400);
    expect((await app.request('/%E0%A4%A')).status).toBe(400);
    expect((await app.request('/missing.html')).status).toBe(404);
  });

  test('/api/reported reads the submissions once per process', async () => {
    const { cpSync, rmSync } = await import('node:fs');
    const copy = tmp.file('submissions-copy');
    cpSync(join(import.meta.dir, '..', '..', 'submissions'), copy, { recursive: true });
    const other = createApp(store, { staticRoot: null, submissionsDir: copy });
    const first = (await (await other.request('/api/reported')).json()) as { rows: unknown[] };
    expect(first.rows.length).toBeGreaterThan(100);
    rmSync(copy, { recursive: true });
    const second = (await (await other.request('/api/reported')).json()) as { rows: unknown[] };
    expect(second.rows).toEqual(first.rows);
  });
});
