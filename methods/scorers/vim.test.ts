import { describe, expect, test } from 'bun:test';
import { centredUniforms } from '../linalg/fixtures/prng.ts';
import { FIT_CENTRED_GRAM_KEY } from '../linalg/gram.ts';
import { matrix } from '../linalg/matrix.ts';
import ref from './fixtures/mahalanobis_vim_cases.json' with { type: 'json' };
import { contextFor, makeFeatures } from './fixtures/mahalanobis_vim_inputs.ts';
import { mahalanobis } from './mahalanobis.ts';
import { fitVim, vim, vimResiduals } from './vim.ts';

/** Relative agreement with the OpenOOD-style numpy reference (make_mahalanobis_vim.py). */
const TOL = 1e-9;

function maxRelErr(actual: ArrayLike<number>, expected: number[]): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!)));
  }
  return worst;
}

function build(c: (typeof ref.vim)[number]) {
  const { d, numClasses: k, seed } = c;
  const fit = makeFeatures(c.nFit, d, k, seed, 2);
  const query = makeFeatures(c.nQuery, d, k, seed + 10, 3);
  const weight = matrix(k, d, centredUniforms(k, d, seed + 20, 0.5));
  if (c.duplicateWRow) weight.data.copyWithin(c.duplicateWRow[0]! * d, c.duplicateWRow[1]! * d, (c.duplicateWRow[1]! + 1) * d);
  const bias = centredUniforms(1, k, seed + 21, 2);
  const fitSplit = { logits: matrix(c.nFit, k, centredUniforms(c.nFit, k, seed + 22, 8)), features: fit.x, labels: fit.labels };
  const querySplit = { logits: matrix(c.nQuery, k, centredUniforms(c.nQuery, k, seed + 23, 8)), features: query.x };
  return { ctx: contextFor(fitSplit, weight, bias, k), query: querySplit };
}

describe('ViM against the OpenOOD-style numpy reference (np.linalg.eig, NS = eigenvectors beyond dim)', () => {
  for (const c of ref.vim) {
    test(`${c.name}`, () => {
      const { ctx, query } = build(c);
      const settings = vim.settings.parse({ dim: c.dim });
      const model = fitVim(ctx.fit, ctx.head, ctx.cache, settings);
      expect(maxRelErr(model.origin, c.u)).toBeLessThan(1e-12);
      expect(Math.abs(model.alpha - c.alpha) / c.alpha).toBeLessThan(TOL);
      const conf = vim.fit(ctx, settings).score(query).conf;
      expect(maxRelErr(conf, c.conf)).toBeLessThan(TOL);
    });
  }

  test('shares the centred Gram with Mahalanobis through ctx.cache', () => {
    const c = ref.vim[0]!;
    const { ctx } = build(c);
    vim.fit(ctx, vim.settings.parse({ dim: c.dim }));
    const cached = ctx.cache.get(FIT_CENTRED_GRAM_KEY);
    expect(cached).toBeDefined();
    mahalanobis.fit(ctx, mahalanobis.settings.parse({}));
    expect(ctx.cache.get(FIT_CENTRED_GRAM_KEY)).toBe(cached);
  });

  test('residuals are zero inside the principal subspace and the full norm outside it', () => {
    const origin = Float64Array.from([1, 1, 1]);
    const principal = matrix(3, 1, Float64Array.from([1, 0, 0]));
    const feats = matrix(2, 3, Float64Array.from([5, 1, 1, 1, 4, 5]));
    const r = vimResiduals(origin, principal, feats);
    expect(r[0]).toBe(0);
    expect(r[1]).toBe(5);
  });

  test('dim must be smaller than D; default dim is 256', () => {
    expect(vim.settings.parse({})).toEqual({ dim: 256 });
    const c = ref.vim[0]!;
    const { ctx } = build(c);
    expect(() => vim.fit(ctx, vim.settings.parse({}))).toThrow(/dim = 256 must be smaller than the feature dimension D = 40/);
    expect(() => vim.fit(ctx, { dim: c.d })).toThrow(/dim = 40/);
    expect(() => vim.settings.parse({ dim: 0 })).toThrow();
    expect(vim.usesFitFeatures).toBe(true);
    expect(vim.paper.url).toBe('https://arxiv.org/abs/2203.10807');
  });
});
