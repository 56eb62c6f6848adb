/** Static SVG charts rendered at build time with Vega-Lite (headless: no DOM, no canvas). */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { CellDiagnostics } from '../store/index.ts';
import { makeNames, type Names } from './names.ts';
import type { BenchmarkCharts, CellCharts, RankedRow } from './types.ts';

/** Okabe-Ito (distinguishable with the common colour-vision deficiencies), yellow left out (too light on white). */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#999999'];
const ID_COLOUR = PALETTE[0]!;
const OOD_COLOUR = PALETTE[1]!;
const DEFAULT_NAMES = makeNames([], [], []);
const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif';

/** Renders a Vega-Lite spec to an SVG string that scales with its container (viewBox kept, fixed size dropped). */
export async function renderSvg(spec: TopLevelSpec, label: string): Promise<string> {
  const compiled = compile({ config: { font: FONT, background: 'transparent', view: { stroke: '#ccc' } }, ...spec } as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    const escaped = label.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
    return svg.replace(/^<svg([^>]*?) width="[\d.]+" height="[\d.]+"/, `<svg$1 role="img" aria-label="${escaped}" preserveAspectRatio="xMinYMin meet"`).replace(/<rect width="[\d.]+" height="[\d.]+" fill="transparent"\/>/, '');
  } finally {
    view.finalize();
  }
}

/** Where 95% of a set's confidences lie below, from binned counts (linear within the bin), and the fraction of another set below it. */
export function fpr95Threshold(edges: readonly number[], ood: readonly number[], id: readonly number[]): { threshold: number; idBelow: number } | null {
  const totalOod = ood.reduce((a, b) => a + b, 0);
  const totalId = id.reduce((a, b) => a + b, 0);
  if (totalOod <= 0 || edges.length < 2) return null;
  const target = 0.95 * totalOod;
  let acc = 0;
  let threshold = edges[edges.length - 1]!;
  for (let i = 0; i < ood.length; i++) {
    const c = ood[i]!;
    if (acc + c >= target && c > 0) {
      threshold = edges[i]! + ((target - acc) / c) * (edges[i + 1]! - edges[i]!);
      break;
    }
    acc += c;
  }
  let below = 0;
  for (let i = 0; i < id.length; i++) {
    const lo = edges[i]!, hi = edges[i + 1]!;
    if (hi <= threshold) below += id[i]!;
    else if (lo < threshold) below += (id[i]! * (threshold - lo)) / (hi - lo);
  }
  return { threshold, idBelow: totalId > 0 ? below / totalId : 0 };
}

/**
 * Fig. 8 as small multiples: one panel per OOD set, ID test against that set (two colours, step
 * areas), with a rule at the FPR95 threshold (95% of that OOD set below it, estimated from the bins).
 */
export function histogramSpec(scorer: string, h: { readonly edges: readonly number[]; readonly counts: Readonly<Record<string, readonly number[]>> }, names: Names = DEFAULT_NAMES): TopLevelSpec {
  const oods = Object.keys(h.counts).filter((s) => s !== 'id').sort();
  const id = h.counts.id ?? [];
  const totalId = id.reduce((a, b) => a + b, 0) || 1;
  const values: Record<string, unknown>[] = [];
  for (const ood of oods) {
    const panel = `ID test vs ${names.ood(ood)}`;
    const counts = h.counts[ood]!;
    const total = counts.reduce((a, b) => a + b, 0) || 1;
    const push = (series: string, cs: readonly number[], t: number) => {
      cs.forEach((c, i) => values.push({ panel, series, x: h.edges[i]!, density: c / t }));
      values.push({ panel, series, x: h.edges[cs.length]!, density: 0 });
    };
    push('ID test', id, totalId);
    push('OOD', counts, total);
    const t = fpr95Threshold(h.edges, counts, id);
    if (t) values.push({ panel, series: 'threshold', x: t.threshold, label: `FPR95 threshold (ID below: ${(t.idBelow * 100).toFixed(0)}%)` });
  }
  const rows = oods.length;
  return {
    title: { text: `${names.scorer(scorer)}: confidence on ID test vs each OOD set`, fontSize: 13, anchor: 'start' },
    data: { values },
    facet: { row: { field: 'panel', type: 'nominal', title: null, header: { labelAngle: 0, labelAlign: 'left', labelAnchor: 'start', labelOrient: 'top', labelFontSize: 11 } } },
    spec: {
      width: 420,
      height: rows > 2 ? 70 : 90,
      layer: [
        {
          transform: [{ filter: "datum.series !== 'threshold'" }],
          mark: { type: 'area', interpolate: 'step-after', opacity: 0.45, line: true },
          encoding: {
            x: { field: 'x', type: 'quantitative', title: 'confidence (higher = ID)', scale: { zero: false, nice: false } },
            y: { field: 'density', type: 'quantitative', title: 'fraction', stack: null, axis: { tickCount: 3 } },
            color: { field: 'series', type: 'nominal', title: null, scale: { domain: ['ID test', 'OOD'], range: [ID_COLOUR, OOD_COLOUR] }, legend: { orient: 'top' } },
          },
        },
        {
          transform: [{ filter: "datum.series === 'threshold'" }],
          mark: { type: 'rule', color: '#333', strokeDash: [4, 3], strokeWidth: 1.5 },
          encoding: { x: { field: 'x', type: 'quantitative' } },
        },
        {
          transform: [{ filter: "datum.series === 'threshold'" }],
          mark: { type: 'text', align: 'left', dx: 4, dy: -2, baseline: 'top', fontSize: 10, color: '#333' },
          encoding: { x: { field: 'x', type: 'quantitative' }, y: { value: 2 }, text: { field: 'label' } },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}

/** Fig. 4: modality prediction discrepancy on ID test and on each OOD set, as labelled dots on an axis fitted to the values. */
export function discrepancySpec(d: Pick<CellDiagnostics, 'lId' | 'lOod'>, names: Names = DEFAULT_NAMES): TopLevelSpec {
  const values = [{ set: 'ID test (l_ID)', l: d.lId, kind: 'ID' }, ...Object.entries(d.lOod).map(([ood, l]) => ({ set: `${names.ood(ood)} (l_OOD)`, l, kind: 'OOD' }))];
  return {
    width: 360,
    height: { step: 26 },
    title: { text: 'Modality prediction discrepancy: ID test vs each OOD set', fontSize: 13, anchor: 'start' },
    data: { values },
    encoding: {
      y: { field: 'set', type: 'nominal', title: null, sort: null },
      x: { field: 'l', type: 'quantitative', title: 'mean discrepancy between modality predictions', scale: { zero: false, padding: 24 } },
    },
    layer: [
      { mark: { type: 'point', filled: true, size: 90 }, encoding: { color: { field: 'kind', type: 'nominal', scale: { domain: ['ID', 'OOD'], range: [ID_COLOUR, OOD_COLOUR] }, legend: null } } },
      { mark: { type: 'text', align: 'left', dx: 9, fontSize: 11 }, encoding: { text: { field: 'l', type: 'quantitative', format: '.3f' } } },
    ],
  } as TopLevelSpec;
}
function curveValues(curve: CellDiagnostics['curve'], pick: (rec: Readonly<Record<string, unknown>>) => Record<string, unknown>) {
  return curve.flatMap((rec, i) => {
    const epoch = typeof rec.epoch === 'number' ? rec.epoch : i;
    return Object.entries(pick(rec))
      .filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1]))
      .map(([series, v]) => ({ epoch, series, v }));
  });
}

function lineSpec(title: string, yTitle: string, values: { epoch: number; series: string; v: number }[]): TopLevelSpec {
  const series = [...new Set(values.map((v) => v.series))];
  return {
    width: 420,
    height: 170,
    title: { text: title, fontSize: 13, anchor: 'start' },
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1, format: 'd' } },
      y: { field: 'v', type: 'quantitative', title: yTitle, scale: { zero: false } },
      color: { field: 'series', type: 'nominal', title: null, scale: { domain: series, range: PALETTE }, legend: { orient: 'top' } },
      strokeDash: { field: 'series', type: 'nominal', title: null, legend: { orient: 'top' }, scale: { domain: series, range: series.map((_, i) => (i === 0 ? [1, 0] : [[4, 2], [1, 0], [6, 3], [2, 2]][i % 4]!)) } },
    },
  } as TopLevelSpec;
}

export function lossSpec(curve: CellDiagnostics['curve']): TopLevelSpec {
  const values = curveValues(curve, (rec) => ({ 'total loss': rec.loss, ...((rec.terms as Record<string, unknown> | undefined) ?? {}) }));
  return lineSpec('Training loss terms', 'loss', values);
}

export function accuracySpec(curve: CellDiagnostics['curve']): TopLevelSpec {
  return lineSpec('Accuracy', 'accuracy', curveValues(curve, (rec) => ({ 'train (ID)': rec.trainAcc, 'validation (ID)': rec.valAcc })));
}

export async function cellCharts(d: CellDiagnostics, names: Names = DEFAULT_NAMES): Promise<CellCharts> {
  const histograms: Record<string, string> = {};
  for (const [scorer, h] of Object.entries(d.histograms)) {
    if (h.edges.length < 2) continue;
    histograms[scorer] = await renderSvg(histogramSpec(scorer, h, names), `${names.scorer(scorer)}: histograms of the confidence on ID test against each OOD set, with the FPR95 threshold`);
  }
  const hasCurve = d.curve.length > 0;
  return {
    histograms,
    discrepancy: Number.isFinite(d.lId) ? await renderSvg(discrepancySpec(d, names), 'Modality prediction discrepancy, ID vs OOD') : null,
    loss: hasCurve ? await renderSvg(lossSpec(d.curve), 'Training loss terms per epoch') : null,
    accuracy: hasCurve ? await renderSvg(accuracySpec(d.curve), 'Training and validation accuracy per epoch') : null,
  };
}

/**
 * The benchmark overview: per scorer (rows) and recipe (colour), the mean of one metric with its
 * 95% interval as an error bar, over the primary rows (Far-OOD: the average over OOD sets).
 */
export function overviewSpec(ranking: readonly RankedRow[], metric: 'auroc' | 'fpr95', names: Names = DEFAULT_NAMES, scorerOrder: readonly string[] = [], recipeOrder: readonly string[] = []): TopLevelSpec {
  const multi = new Set(ranking.map((r) => r.modalities)).size > 1;
  // several modality sets: one row per (scorer, set), the set by its initials (video + audio + flow: V+A+F)
  const initials = (m: string) => m.split('+').map((x) => x.charAt(0).toUpperCase()).join('+');
  const label = (r: RankedRow) => names.scorer(r.scorer) + (multi ? ` (${initials(r.modalities)})` : '');
  const ordered = [...ranking].sort((a, b) => {
    const ia = scorerOrder.indexOf(a.scorer), ib = scorerOrder.indexOf(b.scorer);
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.modalities.localeCompare(b.modalities);
  });
  const recipes = [...new Set(ranking.map((r) => r.recipe))].sort((a, b) => {
    const ia = recipeOrder.indexOf(a), ib = recipeOrder.indexOf(b);
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
  });
  const values = ordered.map((r) => {
    const ci = metric === 'auroc' ? r.aurocCi : r.fpr95Ci;
    const mean = r[metric].mean * 100;
    const clamp = (x: number) => Math.min(100, Math.max(0, x));
    return { method: label(r), recipe: names.recipe(r.recipe), mean, lo: ci ? clamp(ci.lo * 100) : mean, hi: ci ? clamp(ci.hi * 100) : mean };
  });
  const title = metric === 'auroc' ? 'AUROC ↑ (x100): mean and 95% interval (clipped to 0-100)' : 'FPR95 ↓ (x100): mean and 95% interval (clipped to 0-100)';
  const color = { field: 'recipe', type: 'nominal', title: null, scale: { domain: recipes.map((r) => names.recipe(r)), range: PALETTE }, legend: { orient: 'top', columns: 2, labelLimit: 220 } };
  return {
    width: 460,
    height: { step: new Set(values.map((v) => v.method)).size > 10 ? Math.max(10, 3 * recipes.length + 3) : Math.max(12, 4 * recipes.length + 4) },
    title: { text: title, fontSize: 13, anchor: 'start' },
    data: { values },
    encoding: {
      y: { field: 'method', type: 'nominal', title: null, sort: [...new Set(values.map((v) => v.method))], axis: { labelLimit: 200 } },
      yOffset: { field: 'recipe', type: 'nominal', sort: recipes.map((r) => names.recipe(r)) },
      color,
    },
    layer: [
      { mark: { type: 'rule', strokeWidth: 1.5 }, encoding: { x: { field: 'lo', type: 'quantitative', title: metric === 'auroc' ? 'AUROC' : 'FPR95', scale: { zero: false, padding: 10 } }, x2: { field: 'hi' } } },
      { mark: { type: 'point', filled: true, size: 36, opacity: 1 }, encoding: { x: { field: 'mean', type: 'quantitative' } } },
    ],
  } as TopLevelSpec;
}

export async function benchmarkCharts(ranking: readonly RankedRow[], names: Names, scorerOrder: readonly string[], recipeOrder: readonly string[], title: string): Promise<BenchmarkCharts> {
  if (ranking.length === 0) return { auroc: null, fpr95: null };
  return {
    auroc: await renderSvg(overviewSpec(ranking, 'auroc', names, scorerOrder, recipeOrder), `${title}: AUROC per scorer and recipe, mean with 95% interval`),
    fpr95: await renderSvg(overviewSpec(ranking, 'fpr95', names, scorerOrder, recipeOrder), `${title}: FPR95 per scorer and recipe, mean with 95% interval`),
  };
}
