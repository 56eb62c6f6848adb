// The data file written by `bun harness site build` (harness/site/collect.ts), read at build time.
import { readFileSync } from 'node:fs';
import type { SiteData, SiteCell } from '../../../harness/site/types.ts';
import { makeNames } from '../../../harness/site/names.ts';
export type { SiteData, SiteCell } from '../../../harness/site/types.ts';
export { formatMeanStd, formatDelta, formatHalf, formatSigned, fmt100 } from '../../../harness/site/view.ts';

const path = process.env.MULTIOOD_SITE_DATA;
if (!path) throw new Error('MULTIOOD_SITE_DATA is not set: build the site with `bun harness site build`');
export const data: SiteData = JSON.parse(readFileSync(path, 'utf8'));

/** Display names (one place: harness/site/names.ts, from the registries' titles). */
export const names = makeNames(data.recipes, data.scorers, data.benchmarks);
export const scorerTitle = names.scorer;
export const recipeTitle = names.recipe;
export const benchmarkTitle = names.benchmark;
export const modalitiesLabel = names.modalities;
export const oodLabel = names.ood;
export const cellLabel = (c: SiteCell) => `${names.benchmark(c.config.benchmark)} · ${names.modalities(c.config.modalities)} · ${names.recipe(c.config.recipe)} · seed ${c.config.seed} · split ${c.config.split}`;
export const x100 = (v: number | null | undefined) => (v === null || v === undefined ? '–' : (v * 100).toFixed(2));
export const base = import.meta.env.BASE_URL.replace(/\/$/, '');
export const href = (p: string) => `${base}${p}`;
export const download = (slug: string, ext: 'csv' | 'json') => href(`/downloads/${slug}.${ext}`);
export const contributingUrl = data.repoUrl ? `${data.repoUrl.replace(/\/$/, '')}/blob/main/CONTRIBUTING.md` : null;

/** The MultiOOD paper, as BibTeX (the benchmark every page reproduces). */
export const BIBTEX = `@inproceedings{dong2024multiood,
  title     = {{MultiOOD}: Scaling Out-of-Distribution Detection for Multiple Modalities},
  author    = {Dong, Hao and Zhao, Yue and Chatzi, Eleni and Fink, Olga},
  booktitle = {Advances in Neural Information Processing Systems (NeurIPS)},
  year      = {2024},
  eprint    = {2405.17419},
  archivePrefix = {arXiv},
  url       = {https://arxiv.org/abs/2405.17419}
}`;

/** The noise rule, stated on every page that ranks or colours. */
export const NOISE_RULE =
  'Each mean comes with its 95% confidence interval, mean ± t(0.975, n−1) · s / √n (Student t, s the sample standard deviation over the n runs, seeds × dataset splits). ' +
  'A method’s rank is 1 + the number of methods whose AUROC interval lies entirely above its own, so methods whose intervals overlap share a rank (marked =). ' +
  'A change against the baseline is coloured only when the two intervals do not overlap; otherwise it is shown grey as within the noise. ' +
  'With n = 1 there is no interval: such a result is neither ranked apart from others nor coloured.';
