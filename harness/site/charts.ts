/** Static SVG charts rendered at build time with Vega-Lite (headless: no DOM, no canvas). */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { CellDiagnostics } from '../store/index.ts';
import type { CellCharts } from './types.ts';

const PALETTE = ['#1f5fa8', '#d9480f', '#2b8a3e', '#862e9c', '#c92a2a', '#5c940d'];
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

/** Fig. 8: the confidence distribution of ID test against each OOD set, from pre-binned counts. */
export function histogramSpec(scorer: string, h: { readonly edges: readonly number[]; readonly counts: Readonly<Record<string, readonly number[]>> }): TopLevelSpec {
  const sets = Object.keys(h.counts).sort((a, b) => (a === 'id' ? -1 : b === 'id' ? 1 : a.localeCompare(b)));
  const values = sets.flatMap((set) => {
    const counts = h.counts[set]!;
    const total = counts.reduce((a, b) => a + b, 0) || 1;
    return counts.map((c, i) => ({ set: set === 'id' ? 'ID test' : `OOD: ${set}`, lo: h.edges[i]!, hi: h.edges[i + 1]!, density: c / total }));
  });
  return {
    width: 420,
    height: 160,
    title: { text: `${scorer}: confidence, ID vs OOD`, fontSize: 13, anchor: 'start' },
    data: { values },
    mark: { type: 'rect', opacity: 0.55 },
    encoding: {
      x: { field: 'lo', type: 'quantitative', title: 'confidence (higher = ID)', scale: { zero: false } },
      x2: { field: 'hi' },
      y: { field: 'density', type: 'quantitative', title: 'fraction of samples', stack: null },
      color: { field: 'set', type: 'nominal', title: null, scale: { domain: sets.map((s) => (s === 'id' ? 'ID test' : `OOD: ${s}`)), range: PALETTE }, legend: { orient: 'top' } },
    },
  } as TopLevelSpec;
}

/** Fig. 4: modality prediction discrepancy on ID test and on each OOD set. */
export function discrepancySpec(d: Pick<CellDiagnostics, 'lId' | 'lOod'>): TopLevelSpec {
  const values = [{ set: 'ID (l_ID)', l: d.lId, kind: 'ID' }, ...Object.entries(d.lOod).map(([ood, l]) => ({ set: `OOD ${ood} (l_OOD)`, l, kind: 'OOD' }))];
  return {
    width: 360,
    height: { step: 26 },
    title: { text: 'Modality prediction discrepancy', fontSize: 13, anchor: 'start' },
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'set', type: 'nominal', title: null, sort: null },
      x: { field: 'l', type: 'quantitative', title: 'mean discrepancy between modality predictions' },
      color: { field: 'kind', type: 'nominal', scale: { domain: ['ID', 'OOD'], range: [PALETTE[0]!, PALETTE[1]!] }, legend: null },
    },
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
  return {
    width: 420,
    height: 170,
    title: { text: title, fontSize: 13, anchor: 'start' },
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1, format: 'd' } },
      y: { field: 'v', type: 'quantitative', title: yTitle, scale: { zero: false } },
      color: { field: 'series', type: 'nominal', title: null, scale: { range: PALETTE }, legend: { orient: 'top' } },
    },
  } as TopLevelSpec;
}

export function lossSpec(curve: CellDiagnostics['curve']): TopLevelSpec {
  const values = curveValues(curve, (rec) => ({ loss: rec.loss, ...((rec.terms as Record<string, unknown> | undefined) ?? {}) }));
  return lineSpec('Training loss terms', 'loss', values);
}

export function accuracySpec(curve: CellDiagnostics['curve']): TopLevelSpec {
  return lineSpec('Accuracy', 'accuracy', curveValues(curve, (rec) => ({ train: rec.trainAcc, val: rec.valAcc })));
}

export async function cellCharts(d: CellDiagnostics): Promise<CellCharts> {
  const histograms: Record<string, string> = {};
  for (const [scorer, h] of Object.entries(d.histograms)) {
    if (h.edges.length < 2) continue;
    histograms[scorer] = await renderSvg(histogramSpec(scorer, h), `${scorer}: histograms of the confidence on ID test and on each OOD set`);
  }
  const hasCurve = d.curve.length > 0;
  return {
    histograms,
    discrepancy: Number.isFinite(d.lId) ? await renderSvg(discrepancySpec(d), 'Modality prediction discrepancy, ID vs OOD') : null,
    loss: hasCurve ? await renderSvg(lossSpec(d.curve), 'Training loss terms per epoch') : null,
    accuracy: hasCurve ? await renderSvg(accuracySpec(d.curve), 'Training and validation accuracy per epoch') : null,
  };
}
