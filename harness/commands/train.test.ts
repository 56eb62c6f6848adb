import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { tinyBenchmark } from '../../methods/training/test-helpers.ts';
import { recipeById } from '../../methods/training/recipes/index.ts';
import { initBackend } from '../backend.ts';
import { InputError } from '../errors.ts';
import { selectScorers } from '../scorer-selection.ts';
import { runTraining } from '../pipeline.ts';
import { renderTrainingReport, stderrProgress, trainAction } from './train.ts';

const previous = tf.getBackend();
beforeAll(async () => {
  await initBackend('wasm');
});
afterAll(async () => {
  if (previous) await tf.setBackend(previous);
});

describe('train command', () => {
  test('runTraining: trains, scores every scorer on every OOD set, rows carry recipe, seed and discrepancies', async () => {
    const { benchmark } = tinyBenchmark({ dims: [6, 4, 3], oodSets: ['hard', 'easy'], epochs: 2 });
    const recipe = recipeById('a2d')!;
    const run = await runTraining({ benchmark, recipe, seed: 5, overrides: { lr: 3e-3 }, scorers: selectScorers('msp,energy,knn', ['knn.k=3']) });
    expect(run.modalities).toEqual(['video', 'flow', 'audio']);
    expect(run.rows.length).toBe(3 * 2);
    for (const row of run.rows) {
      expect(row).toMatchObject({ benchmark: 'tiny', recipe: 'a2d', seed: 5 });
      expect(row.l_id).toBe(run.result.discrepancy.lId);
      expect(row.l_ood).toBe(run.result.discrepancy.lOod[row.ood]!);
      for (const k of ['fpr95', 'auroc', 'aupr_in', 'aupr_out', 'id_acc'] as const) expect(row[k]).toBeGreaterThanOrEqual(0);
    }
    const report = renderTrainingReport(run, benchmark, recipe, 5);
    expect(report).toContain('Avg AUROC');
    expect(report).toContain('l_OOD(hard)');
    expect(report).toContain('best epoch');
  });

  test('runTraining: a chosen modality pair; input errors are one-line InputErrors', async () => {
    const { benchmark } = tinyBenchmark({ dims: [6, 4, 3], epochs: 1 });
    const scorers = selectScorers('msp');
    const run = await runTraining({ benchmark, recipe: recipeById('baseline')!, modalities: ['video', 'audio'], seed: 0, scorers });
    expect(run.result.outputs.modalities.map((m) => m.name)).toEqual(['video', 'audio']);
    const errors = [
      runTraining({ benchmark, recipe: recipeById('a2d')!, modalities: ['video', 'sound'], seed: 0, scorers }),
      runTraining({ benchmark, recipe: recipeById('a2d')!, modalities: ['video'], seed: 0, scorers }),
      runTraining({ benchmark, recipe: recipeById('baseline')!, seed: 0, overrides: { ent: 1 }, scorers }),
      trainAction({ benchmark: 'nope', recipe: 'a2d', seed: '0', set: [], backend: 'wasm' }),
      trainAction({ benchmark: 'synthetic-near', recipe: 'nope', seed: '0', set: [], backend: 'wasm' }),
      trainAction({ benchmark: 'synthetic-near', recipe: 'a2d', seed: '-1', set: [], backend: 'wasm' }),
      trainAction({ benchmark: 'synthetic-near', recipe: 'a2d', seed: '0', set: ['lr=fast'], backend: 'wasm' }),
    ];
    for (const p of errors) {
      const e = await p.then(() => undefined, (err: unknown) => err);
      expect(e).toBeInstanceOf(InputError);
      expect((e as Error).message).not.toContain('\n');
    }
  });

  test('progress: plain lines when not a TTY, one redrawn line on a TTY', () => {
    const record = { epoch: 0, loss: 1.5, terms: { cls: 1.2, a2d: -0.3 }, trainAcc: 0.5, valAcc: 0.25, synthesisSteps: 0, seconds: 1.2 };
    const written: string[] = [];
    const plain = stderrProgress('[x]', { isTTY: false, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream);
    plain.step({ epoch: 0, epochs: 2, step: 5, steps: 5 });
    plain.epoch(record, 2);
    plain.done();
    expect(written).toEqual(['[x] epoch 1/2 loss 1.5000 cls 1.2000 a2d -0.3000 train 50.00% val 25.00% (1.2 s)\n']);
    const tty: string[] = [];
    const live = stderrProgress('[x]', { isTTY: true, columns: 200, write: (s: string) => tty.push(s) } as unknown as NodeJS.WriteStream);
    live.epoch(record, 2);
    live.step({ epoch: 1, epochs: 2, step: 5, steps: 5 });
    live.done();
    expect(tty[0]).toMatch(/^\r\x1b\[2K\[x\] epoch 2\/2 step 5\/5 \| loss 1\.5000 cls 1\.2000 a2d -0\.3000 \| val 25\.00% \| ETA /);
    expect(tty.at(-1)).toBe('\r\x1b[2K');
  });

  test('bun harness train --json on a registered benchmark (end to end, one epoch)', () => {
    const root = join(import.meta.dir, '..', '..');
    const p = Bun.spawnSync([process.execPath, 'harness/cli.ts', 'train', '--benchmark', 'synthetic-far', '--recipe', 'a2d_npmix', '--epochs', '1', '--set', 'startEpoch=0', '--set', 'lr=1e-3', '--scorers', 'msp,energy', '--json'], { cwd: root, stdout: 'pipe', stderr: 'pipe' });
    expect(p.exitCode).toBe(0);
    const rows = JSON.parse(p.stdout.toString());
    expect(rows.length).toBe(2 * 3);
    expect(Object.keys(rows[0]).sort()).toEqual(['aupr_in', 'aupr_out', 'auroc', 'benchmark', 'fpr95', 'id_acc', 'l_id', 'l_ood', 'ood', 'recipe', 'scorer', 'seed']);
    expect(rows[0]).toMatchObject({ benchmark: 'synthetic-far', recipe: 'a2d_npmix', seed: 0 });
    expect(p.stderr.toString()).toContain('epoch 1/1');
    const bad = Bun.spawnSync([process.execPath, 'harness/cli.ts', 'train', '--benchmark', 'synthetic-far', '--recipe', 'a2d', '--set', 'ood=1'], { cwd: root, stdout: 'pipe', stderr: 'pipe' });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.toString().trim().split('\n').at(-1)).toBe('error: recipe a2d has no outlier synthesis: ood cannot be set');
  });
});
