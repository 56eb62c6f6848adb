// The data file written by `bun harness site build` (harness/site/collect.ts), read at build time.
import { readFileSync } from 'node:fs';
import type { SiteData, SiteCell, TableValue } from '../../../harness/site/types.ts';
export type { SiteData, SiteCell } from '../../../harness/site/types.ts';
export { formatMeanStd, formatDelta } from '../../../harness/site/view.ts';

const path = process.env.MULTIOOD_SITE_DATA;
if (!path) throw new Error('MULTIOOD_SITE_DATA is not set: build the site with `bun harness site build`');
export const data: SiteData = JSON.parse(readFileSync(path, 'utf8'));

export const scorerTitle = (id: string) => data.scorers.find((s) => s.id === id)?.title ?? id;
export const recipeTitle = (id: string) => data.recipes.find((r) => r.id === id)?.title ?? id;
export const benchmarkTitle = (id: string) => data.benchmarks.find((b) => b.id === id)?.title ?? id;
export const modalitiesLabel = (m: string | readonly string[]) => (typeof m === 'string' ? m.split('+') : m).join(' + ');
export const oodLabel = (ood: string) => (ood === 'average' ? 'average over OOD sets' : ood === 'near' ? 'Near-OOD' : ood);
export const cellLabel = (c: SiteCell) => `${c.config.benchmark} · ${modalitiesLabel(c.config.modalities)} · ${c.config.recipe} · seed ${c.config.seed} · split ${c.config.split}`;
export const sortValue = (v: TableValue) => String(v.value.mean);
export const x100 = (v: number | null | undefined) => (v === null || v === undefined ? '–' : (v * 100).toFixed(2));
export const base = import.meta.env.BASE_URL.replace(/\/$/, '');
export const href = (p: string) => `${base}${p}`;
