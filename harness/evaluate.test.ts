import { describe, expect, test } from 'bun:test';
import { z } from 'zod';
import { fromRows, matrix } from '../methods/linalg/matrix.ts';
import type { ModelOutputs, SplitOutputs } from '../methods/outputs.ts';
import { defineScorer } from '../methods/scorer.ts';
import { evaluate } from './evaluate.ts';

/** Two ID test rows (one per class) and two OOD rows; features are one column. */
function outputs(): ModelOutputs {
  const split = (logits: number[][], labels?: number[]): SplitOutputs => ({
    logits: fromRows(logits),
    features: fromRows(logits.map((r) => [r[0]!])),
    ...(labels ? { labels: Int32Array.from(labels) } : {}),
  });
  return {
    numClasses: 2,
    modalities: [{ name: 'all', start: 0, end: 1 }],
    head: { weight: matrix(2, 1), bias: new Float64Array(2) },
    id: { test: split([[3, 0], [0, 3]], [0, 1]) },
    ood: new Map([['near', split([[1, 1], [0.5, 0.4]])]]),
  };
}

/** A scorer whose fitted state counts its releases; `failOn` makes score() throw on that many rows. */
function counting(id: string, failOn?: number) {
  const log = { released: 0, scored: 0 };
  const scorer = defineScorer({
    id,
    title: id,
    summary: 'test double',
    paper: { title: '-', url: 'https://example.org' },
    usesFitFeatures: false,
    settings: z.object({}),
    fit: () => ({
      score(split) {
        if (split.logits.rows === failOn) throw new Error(`${id} cannot score ${failOn} rows`);
        log.scored++;
        const conf = new Float64Array(split.logits.rows);
        for (let i = 0; i < conf.length; i++) conf[i] = Math.max(split.logits.data[2 * i]!, split.logits.data[2 * i + 1]!);
        return { conf };
      },
      release: () => log.released++,
    }),
  });
  return { scorer, log };
}

describe('evaluate releases what a fitted scorer holds', () => {
  test('once, after the last split, and also when a split fails (that scorer is skipped, the other kept)', () => {
    const ok = counting('ok');
    const failing = counting('failing', 2); // the ID test split and the OOD set both have 2 rows
    const e = evaluate(outputs(), [{ scorer: ok.scorer }, { scorer: failing.scorer }], { fitSplit: 'train' });
    expect(ok.log).toEqual({ released: 1, scored: 2 });
    expect(failing.log).toEqual({ released: 1, scored: 0 });
    expect(e.results.map((r) => r.scorer)).toEqual(['ok']);
    expect(e.skipped).toEqual([{ scorer: 'failing', reason: 'failing cannot score 2 rows' }]);
  });
});
