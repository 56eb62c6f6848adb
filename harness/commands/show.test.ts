import { expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cellId } from '../grid/cell-id.ts';
import type { CellConfig, FinishedCell, ResultRow } from '../store/contract.ts';
import { openStore } from '../store/index.ts';
import { scorerConfig } from '../store/test-helpers.ts';
import { leaderboardCsv, loadLeaderboard, renderLeaderboard } from './show.ts';

function cell(benchmark: string, modalities: string[], recipe: string, seed: number, rows: Omit<ResultRow, 'auprIn' | 'auprOut' | 'scorerKey'>[]): FinishedCell {
  const config: CellConfig = { benchmark, dataFingerprint: 'fp', modalities, recipe, training: { epochs: 2 }, seed, split: 0, backend: 'wasm', trainingCode: 't1', defaultTraining: true, scorers: [scorerConfig('msp'), scorerConfig('knn')] };
  return { id: cellId(config), config, status: 'done', startedAt: 'a', endedAt: 'b', seconds: 1, results: rows.map((r) => ({ ...r, scorerKey: r.scorer, auprIn: 0.5, auprOut: 0.5 })) };
}

test('show: Table 1 blocks per recipe with the change against baseline, Far-OOD with the average column, CSV', () => {
  const dir = mkdtempSync(join(tmpdir(), 'multiood-show-'));
  const db = join(dir, 'r.sqlite');
  try {
    const store = openStore(db);
    const run = store.beginRun({ command: 'test', gitCommit: null, harnessVersion: '0.1.0', backend: 'wasm', machine: 'test', shard: null, startedAt: 'now' });
    for (const seed of [0, 1]) {
      for (const [recipe, shift] of [['baseline', 0], ['a2d', 0.1]] as const) {
        store.commitCell(run, cell('synthetic-near', ['video', 'flow'], recipe, seed, ['msp', 'knn'].map((scorer) => ({ scorer, ood: 'near', fpr95: 0.5 - shift + seed * 0.02, auroc: 0.7 + shift, idAcc: 0.9 }))));
        store.commitCell(run, cell('synthetic-far', ['video', 'audio', 'flow'], recipe, seed, ['hard', 'easy'].flatMap((ood) => ['msp', 'knn'].map((scorer) => ({ scorer, ood, fpr95: ood === 'hard' ? 0.8 : 0.2, auroc: 0.6 + shift, idAcc: 0.8 })))));
      }
    }
    store.endRun(run, 'later');
    store.close();

    const rows = loadLeaderboard(db);
    const text = renderLeaderboard(rows);
    expect(text).toContain('Near-OOD (Table 1 layout)');
    expect(text).toContain('synthetic-near video+flow');
    expect(text).toContain('51.00 ±1.41'); // baseline FPR95 over seeds 0.50, 0.52
    expect(text).toContain('41.00 ±1.41 (-10.00)'); // a2d against baseline
    expect(text).toContain('Far-OOD (Tables 2/3 layout): synthetic-far video+audio+flow');
    expect(text).toContain('average');
    expect(text).toContain('50.00'); // average FPR95 of hard 80 and easy 20
    expect(text.indexOf('baseline')).toBeLessThan(text.indexOf('a2d'));
    expect(text.indexOf('msp')).toBeLessThan(text.indexOf('knn'));

    expect(loadLeaderboard(db, ['synthetic-far']).every((r) => r.benchmark === 'synthetic-far')).toBe(true);
    const csv = leaderboardCsv(rows).split('\n');
    expect(csv[0]).toBe('benchmark,modalities,recipe,scorer,ood,n,fpr95,fpr95_std,auroc,auroc_std,aupr_in,aupr_in_std,aupr_out,aupr_out_std,id_acc,id_acc_std');
    expect(csv.length).toBe(rows.length + 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('show via the CLI: --json and a missing database', async () => {
  const cli = join(import.meta.dir, '..', 'cli.ts');
  const p = Bun.spawn([process.execPath, cli, 'show', '--db', '/nonexistent/x.sqlite'], { stdout: 'pipe', stderr: 'pipe' });
  expect(await p.exited).toBe(2);
  expect(await new Response(p.stderr).text()).toContain('no such database');
});
