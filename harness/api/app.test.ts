import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { BENCHMARKS } from '../../datasets/registry.ts';
import { SCORERS } from '../../methods/scorers/index.ts';
import { RECIPES } from '../../methods/training/recipes/index.ts';
import { openStore, type Store } from '../store/store.ts';
import { cellConfig, finishedCell, resultRow, runMeta, tempDir } from '../store/test-helpers.ts';
import { createApp } from './app.ts';
import { OPENAPI } from './openapi.ts';

let tmp: ReturnType<typeof tempDir>;
let store: Store;
let app: Hono;
const done = [0, 1].map((seed) => finishedCell(cellConfig({ benchmark: 'synthetic-far', seed }), [resultRow('msp', 'ucf', 0.2 + seed / 10), resultRow('msp', 'hmdb', 0.4)]));
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
    expect((await get('/api/leaderboard/nope')).status).toBe(404);
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
    expect(all.body.total).toBe(2);
    const page = await get('/api/results?benchmark=synthetic-far&limit=1&offset=3&seed=1');
    expect(page.body).toMatchObject({ total: 2, limit: 1, offset: 3, items: [] });
    expect((await get('/api/results?seed=1&ood=ucf')).body.items[0].fpr95).toBeCloseTo(0.3, 12);
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
  ])('%s -> 400 naming %s', async (path, parameter) => {
    const { status, body } = await get(path);
    expect(status).toBe(400);
    expect(body.parameter).toBe(parameter);
    expect(typeof body.error).toBe('string');
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

test('OpenAPI describes every route and only those', async () => {
  const { body } = await get('/api/openapi.json');
  expect(body.openapi).toStartWith('3.');
  const routes = new Set(
    app.routes
      .filter((r) => r.method === 'GET' && r.path.startsWith('/api/') && !r.path.includes('*'))
      .map((r) => r.path.replace(/:(\w+)/g, '{$1}')),
  );
  expect([...routes].sort()).toEqual(Object.keys(OPENAPI.paths).sort());
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
    expect(body.rows[0]).toMatchObject({ submission: 'multiood-paper', table: '1', modalities: ['video', 'flow'], ood: 'near', fpr95: 44.66, auroc: 87.74, id_acc: 89.32 });
    expect(body.rows[0].source.url).toStartWith('https://');
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
