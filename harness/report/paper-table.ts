import Table from 'cli-table3';
import type { ScorerResult } from '../evaluate.ts';
import { tableStyle } from './table-style.ts';

const pct = (v: number) => (v * 100).toFixed(2);


/**
 * The paper's layout, values x100: scorers as rows. One OOD set (Near-OOD): FPR95, AUROC,
 * AUPR-In, AUPR-Out, ID ACC. Several (Far-OOD): FPR95/AUROC per OOD set, their plain average, ID ACC.
 */
export function renderPaperTable(results: readonly ScorerResult[], title: string): string {
  const scorers = [...new Set(results.map((r) => r.scorer))];
  const oodSets = [...new Set(results.map((r) => r.ood))];
  const find = (scorer: string, ood: string) => results.find((r) => r.scorer === scorer && r.ood === ood)!;

  if (oodSets.length === 1) {
    const table = new Table({ head: ['Scorer', 'FPR95 ↓', 'AUROC ↑', 'AUPR-In ↑', 'AUPR-Out ↑', 'ID ACC ↑'], ...tableStyle() });
    for (const s of scorers) {
      const r = find(s, oodSets[0]!);
      table.push([s, pct(r.fpr95), pct(r.auroc), pct(r.aupr_in), pct(r.aupr_out), pct(r.id_acc)]);
    }
    return `${title} (OOD: ${oodSets[0]})\n${table.toString()}`;
  }

  const table = new Table({
    head: ['Scorer', ...oodSets.flatMap((o) => [`${o} FPR95 ↓`, `${o} AUROC ↑`]), 'Avg FPR95 ↓', 'Avg AUROC ↑', 'ID ACC ↑'],
    ...tableStyle(),
  });
  for (const s of scorers) {
    const rows = oodSets.map((o) => find(s, o));
    const mean = (k: 'fpr95' | 'auroc') => rows.reduce((acc, r) => acc + r[k], 0) / rows.length;
    table.push([s, ...rows.flatMap((r) => [pct(r.fpr95), pct(r.auroc)]), pct(mean('fpr95')), pct(mean('auroc')), pct(rows[0]!.id_acc)]);
  }
  return `${title}\n${table.toString()}`;
}
