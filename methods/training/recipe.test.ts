import { describe, expect, test } from 'bun:test';
import type { TrainingDefaults } from '../../datasets/benchmark.ts';
import { parseOverrideAssignments } from './recipe.ts';
import { RECIPES, recipeById } from './recipes/index.ts';

// HMDB51 far-OOD as upstream ran it (docs/multiood-facts.md §5): baseline 50 epochs, NP-Mix 0.1/0.1/0.1 from epoch 10.
const HMDB_FAR: TrainingDefaults = {
  epochs: { baseline: 50, a2d: 50, a2dNpmix: 50 },
  a2dWeight: 1,
  npmix: { a2d: 0.1, ood: 0.1, ent: 0.1, startEpoch: 10 },
  encoder: 'adapter',
};
const KINETICS_FAR: TrainingDefaults = { ...HMDB_FAR, epochs: { baseline: 10, a2d: 10, a2dNpmix: 10 }, npmix: { ...HMDB_FAR.npmix, startEpoch: 3 } };

describe('recipes', () => {
  test('registry: unique ids, every recipe declared with a paper link', () => {
    const ids = RECIPES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(['baseline', 'a2d', 'a2d_npmix', 'logitnorm', 'logitnorm_a2d', 'logitnorm_a2d_npmix', 'a2d_l1', 'a2d_l2', 'a2d_wasserstein', 'a2d_mixup', 'a2d_vos']);
    for (const r of RECIPES) {
      expect(r.title.length).toBeGreaterThan(0);
      expect(r.summary.length).toBeGreaterThan(20);
      expect(r.paper.url).toMatch(/^https:\/\/arxiv\.org\/abs\/(2405\.17419|2205\.09310)$/);
    }
    expect(recipeById('logitnorm')!.paper.url).toBe('https://arxiv.org/abs/2205.09310');
    expect(recipeById('nope')).toBeUndefined();
  });

  test('upstream defaults: optimiser, batch, dropout, loss terms and weights per family', () => {
    const base = recipeById('baseline')!.configure(KINETICS_FAR);
    expect(base).toEqual({
      epochs: 10, lr: 1e-4, weightDecay: 1e-4, batchSize: 16, dropout: 0.5, noDropout: [],
      encoder: { kind: 'adapter', hidden: 128, rank: 16 },
      classification: { perModality: false, logitNorm: false, tau: 0.04 },
    });
    const a2d = recipeById('a2d')!.configure(HMDB_FAR);
    expect(a2d.classification.perModality).toBe(true);
    expect(a2d.a2d).toEqual({ weight: 1, distance: 'hellinger' });
    expect(a2d.synthesis).toBeUndefined();
    const npmix = recipeById('a2d_npmix')!.configure(KINETICS_FAR);
    expect(npmix.epochs).toBe(10);
    expect(npmix.a2d).toEqual({ weight: 0.1, distance: 'hellinger' });
    expect(npmix.synthesis).toEqual({ kind: 'npmix', oodWeight: 0.1, entWeight: 0.1, startEpoch: 3, distance: 'hellinger', queueSize: 65, nnK: 3, alpha: 10 });
    const ln = recipeById('logitnorm_a2d_npmix')!.configure(HMDB_FAR);
    expect(ln.classification).toEqual({ perModality: true, logitNorm: true, tau: 0.04 });
    expect(recipeById('logitnorm')!.configure(HMDB_FAR).classification).toEqual({ perModality: false, logitNorm: true, tau: 0.04 });
    expect(recipeById('a2d_wasserstein')!.configure(HMDB_FAR).a2d!.distance).toBe('upstream-wasserstein');
    expect(recipeById('a2d_vos')!.configure(HMDB_FAR).synthesis!.kind).toBe('vos');
    expect(recipeById('a2d_mixup')!.configure(HMDB_FAR).synthesis!.kind).toBe('mixup');
  });

  test('every setting can be overridden; settings a recipe does not have are refused', () => {
    const cfg = recipeById('a2d_npmix')!.configure(HMDB_FAR, {
      epochs: 3, lr: 1e-3, weightDecay: 0, batchSize: 8, dropout: 0.2, encoder: 'mlp', hidden: 32,
      a2dWeight: 0.7, ood: 0.2, ent: 0.3, startEpoch: 1, distance: 'l1', synthesis: 'vos', queueSize: 10, nnK: 4, alpha: 2,
    });
    expect(cfg).toMatchObject({ epochs: 3, lr: 1e-3, weightDecay: 0, batchSize: 8, dropout: 0.2, encoder: { kind: 'mlp', hidden: 32 }, a2d: { weight: 0.7, distance: 'l1' } });
    expect(cfg.synthesis).toEqual({ kind: 'vos', oodWeight: 0.2, entWeight: 0.3, startEpoch: 1, distance: 'l1', queueSize: 10, nnK: 4, alpha: 2 });
    expect(() => recipeById('baseline')!.configure(HMDB_FAR, { a2dWeight: 1 })).toThrow('no A2D term');
    expect(() => recipeById('a2d')!.configure(HMDB_FAR, { startEpoch: 1 })).toThrow('no outlier synthesis');
    expect(() => recipeById('a2d')!.configure(HMDB_FAR, { tau: 0.1 })).toThrow('no LogitNorm');
    expect(() => recipeById('a2d')!.configure(HMDB_FAR, { hidden: 64 })).toThrow('mlp encoder only');
    expect(() => recipeById('a2d')!.configure(HMDB_FAR, { lr: -1 })).toThrow();
  });

  test('--set KEY=VALUE parsing: numbers coerced, enums checked, unknown keys named', () => {
    expect(parseOverrideAssignments(['epochs=5', 'lr=3e-4', 'distance=l2', 'encoder=mlp'])).toEqual({ epochs: 5, lr: 3e-4, distance: 'l2', encoder: 'mlp' });
    expect(parseOverrideAssignments(['distance=upstream-wasserstein']).distance).toBe('upstream-wasserstein');
    expect(() => parseOverrideAssignments(['epochs=two'])).toThrow('epochs');
    expect(() => parseOverrideAssignments(['epochs=1.5'])).toThrow('epochs');
    expect(() => parseOverrideAssignments(['distance=cosine'])).toThrow('distance');
    expect(() => parseOverrideAssignments(['epoch=3'])).toThrow('unknown training setting epoch');
    expect(() => parseOverrideAssignments(['epochs'])).toThrow('KEY=VALUE');
  });
});
