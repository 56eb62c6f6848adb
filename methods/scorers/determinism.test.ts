import { afterAll, describe, expect, test } from 'bun:test';
import { getDgemmThreads, setDgemmThreads } from '../compute/dgemm-pool.ts';
import { centredUniforms } from '../linalg/fixtures/prng.ts';
import { setGemmPath } from '../linalg/gemm-wasm.ts';
import { matrix } from '../linalg/matrix.ts';
import { contextFor, makeFeatures } from './fixtures/mahalanobis_vim_inputs.ts';
import { mahalanobis } from './mahalanobis.ts';
import { vim } from './vim.ts';

/**
 * Mahalanobis and ViM scores do not depend on where their float64 products run: the TypeScript
 * kernel, or the wasm kernel on 1, 2 or 3 threads give bitwise identical confidences (every output
 * tile is summed by one thread in the same order, see methods/compute/dgemm-kernel.ts).
 */
const threadsBefore = getDgemmThreads();
afterAll(() => {
  setGemmPath('auto');
  setDgemmThreads(threadsBefore);
});

function scores(): Float64Array[] {
  const d = 150;
  const k = 7;
  const fit = makeFeatures(900, d, k, 11, 2);
  const query = makeFeatures(300, d, k, 12, 3);
  const weight = matrix(k, d, centredUniforms(k, d, 13, 0.5));
  const bias = centredUniforms(1, k, 14, 2);
  const fitSplit = { logits: matrix(900, k, centredUniforms(900, k, 15, 8)), features: fit.x, labels: fit.labels };
  const querySplit = { logits: matrix(300, k, centredUniforms(300, k, 16, 8)), features: query.x };
  const out: Float64Array[] = [];
  for (const solver of ['cholesky', 'pinvh'] as const) {
    const ctx = contextFor(fitSplit, weight, bias, k);
    out.push(mahalanobis.fit(ctx, mahalanobis.settings.parse({ solver })).score(querySplit).conf);
  }
  const ctx = contextFor(fitSplit, weight, bias, k);
  out.push(vim.fit(ctx, vim.settings.parse({ dim: 20 })).score(querySplit).conf);
  return out;
}

describe('float64 scorers are independent of the product path and the thread count', () => {
  test('Mahalanobis (Cholesky and pinvh) and ViM: js = wasm x1 = wasm x2 = wasm x3, bitwise', () => {
    setGemmPath('js');
    const reference = scores();
    for (const threads of [1, 2, 3]) {
      setGemmPath('wasm');
      setDgemmThreads(threads);
      const got = scores();
      got.forEach((conf, s) => {
        expect(conf.length).toBe(reference[s]!.length);
        expect(conf.every((v, i) => Object.is(v, reference[s]![i]))).toBe(true);
      });
    }
  });
});
