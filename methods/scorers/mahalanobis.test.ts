import { describe, expect, test } from 'bun:test';
import { FIT_CENTRED_GRAM_KEY } from '../linalg/gram.ts';
import { matrix } from '../linalg/matrix.ts';
import ref from './fixtures/mahalanobis_vim_cases.json' with { type: 'json' };
import { contextFor, copyColumn, makeFeatures, zeroColumn } from './fixtures/mahalanobis_vim_inputs.ts';
import { fitMahalanobis, mahalanobis, mahalanobisConfidence } from './mahalanobis.ts';

/** Relative agreement with the sklearn/scipy reference (make_mahalanobis_vim.py). */
const TOL = 1e-9;

function maxRelErr(actual: Float64Array, expected: number[]): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  actual.forEach((v, i) => {
    worst = Math.max(worst, Math.abs(v - expected[i]!) / Math.max(1, Math.abs(expected[i]!)));
  });
  return worst;
}

function build(c: (typeof ref.mahalanobis)[number]) {
  const fit = makeFeatures(c.nFit, c.d, c.numClasses, c.seed, c.offsetScale);
  const query = makeFeatures(c.nQuery, c.d, c.numClasses, c.seed + 10, c.offsetScale * 1.5);
  for (const [dst, src] of c.duplicate as number[][]) {
    copyColumn(fit.x, dst!, src!);
    copyColumn(query.x, dst!, src!);
  }
  for (const j of c.zero) zeroColumn(fit.x, j);
  const head = { weight: matrix(c.numClasses, c.d), bias: new Float64Array(c.numClasses) };
  const ctx = contextFor({ logits: matrix(c.nFit, c.numClasses), features: fit.x, labels: fit.labels }, head.weight, head.bias, c.numClasses);
  return { ctx, query: { logits: matrix(c.nQuery, c.numClasses), features: query.x } };
}

describe('Mahalanobis against sklearn EmpiricalCovariance + pinvh', () => {
  const expectedSolver: Record<string, string> = {
    regular: 'cholesky',
    'duplicate columns': 'pinvh',
    'fewer rows than D': 'pinvh',
    'zero columns': 'cholesky', // exact zero rows dropped, the rest is positive definite
  };
  for (const c of ref.mahalanobis) {
    test(`${c.name} (D = ${c.d}, rank ${c.rank})`, () => {
      const { ctx, query } = build(c);
      const settings = mahalanobis.settings.parse({});
      const model = fitMahalanobis(ctx.fit.features, ctx.fit.labels!, ctx.numClasses, ctx.cache, settings);
      expect(model.solver).toBe(expectedSolver[c.name] as 'cholesky' | 'pinvh');
      if (model.solver === 'pinvh') expect(model.rank).toBe(c.rank);
      const conf = mahalanobis.fit(ctx, settings).score(query).conf;
      expect(maxRelErr(conf, c.conf)).toBeLessThan(TOL);
      expect(ctx.cache.has(FIT_CENTRED_GRAM_KEY)).toBe(true);
    });
  }

  test('forcing pinvh on the positive-definite case gives the same scores', () => {
    const c = ref.mahalanobis.find((x) => x.name === 'regular')!;
    const { ctx, query } = build(c);
    const conf = mahalanobis.fit(ctx, mahalanobis.settings.parse({ solver: 'pinvh' })).score(query).conf;
    expect(maxRelErr(conf, c.conf)).toBeLessThan(TOL);
  });

  test('forcing Cholesky on a singular covariance fails clearly', () => {
    const c = ref.mahalanobis.find((x) => x.name === 'fewer rows than D')!;
    const { ctx } = build(c);
    expect(() => mahalanobis.fit(ctx, mahalanobis.settings.parse({ solver: 'cholesky' }))).toThrow(/not positive definite/);
  });

  test('scores are minus squared distances; missing labels, empty classes and wrong widths throw', () => {
    const c = ref.mahalanobis[0]!;
    const { ctx } = build(c);
    const conf = mahalanobis.fit(ctx, mahalanobis.settings.parse({})).score(ctx.fit).conf;
    // Scores are minus squared distances: never positive.
    expect(conf.every((v) => v <= 0)).toBe(true);
    expect(() => mahalanobis.fit({ ...ctx, fit: { ...ctx.fit, labels: undefined } }, mahalanobis.settings.parse({}))).toThrow(/no labels/);
    expect(() => mahalanobis.fit({ ...ctx, numClasses: c.numClasses + 1, cache: new Map() }, mahalanobis.settings.parse({}))).toThrow(/no rows/);
    const model = fitMahalanobis(ctx.fit.features, ctx.fit.labels!, ctx.numClasses, ctx.cache);
    expect(() => mahalanobisConfidence(model, matrix(2, c.d + 1))).toThrow(/columns/);
  });

  test('metadata', () => {
    expect(mahalanobis.id).toBe('mahalanobis');
    expect(mahalanobis.usesFitFeatures).toBe(true);
    expect(mahalanobis.paper.url).toBe('https://arxiv.org/abs/1807.03888');
    expect(mahalanobis.settings.parse({})).toEqual({ solver: 'auto' });
  });
});
