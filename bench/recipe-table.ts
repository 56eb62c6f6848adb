/**
 * Aggregates `bun harness run --json` rows into a markdown table: per recipe and scorer, mean ± std
 * (sample std over seeds, x100) of FPR95, AUROC and ID ACC, averaged over OOD sets first.
 * Usage: bun harness run ... --json > rows.json && bun bench/recipe-table.ts rows.json [--scorers msp,energy]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface Row { benchmark: string; recipe: string; seed: number; scorer: string; ood: string; fpr95: number; auroc: number; id_acc: number }

const { values, positionals } = parseArgs({ allowPositionals: true, options: { scorers: { type: 'string' } } });
if (!positionals[0]) throw new Error('usage: bun bench/recipe-table.ts rows.json [--scorers ids]');
const rows = JSON.parse(readFileSync(positionals[0], 'utf8')) as Row[];
const scorers = values.scorers?.split(',') ?? [...new Set(rows.map((r) => r.scorer))];
const recipes = [...new Set(rows.map((r) => r.recipe))];

function meanStd(xs: number[]): string {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return `${(mean * 100).toFixed(2)} ± ${(sd * 100).toFixed(2)}`;
}

const lines = ['| scorer | ' + recipes.map((r) => `${r} FPR95 ↓ | ${r} AUROC ↑`).join(' | ') + ' |', `|---|${recipes.map(() => '---|---').join('|')}|`];
for (const scorer of scorers) {
  const cells = recipes.flatMap((recipe) => {
    const mine = rows.filter((r) => r.recipe === recipe && r.scorer === scorer);
    const seeds = [...new Set(mine.map((r) => r.seed))];
    const perSeed = (key: 'fpr95' | 'auroc') => seeds.map((s) => {
      const xs = mine.filter((r) => r.seed === s).map((r) => r[key]);
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    });
    return [meanStd(perSeed('fpr95')), meanStd(perSeed('auroc'))];
  });
  lines.push(`| ${scorer} | ${cells.join(' | ')} |`);
}
const acc = recipes.map((recipe) => {
  const bySeed = new Map(rows.filter((r) => r.recipe === recipe && r.scorer === 'msp').map((r) => [r.seed, r.id_acc]));
  return `${recipe} ${meanStd([...bySeed.values()])} (${bySeed.size} seeds)`;
});
lines.push('', `ID ACC (fused head): ${acc.join('; ')}`);
console.log(lines.join('\n'));
