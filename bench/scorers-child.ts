/**
 * One measurement for bench/scorers.ts: loads upstream-layout dumps, fits and scores the given
 * scorers in this process, prints JSON {seconds per scorer, total, peak RSS, results}.
 * Usage: bun bench/scorers-child.ts DIR msp,energy,...
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNpyMatrix, readNpyVector } from '../datasets/io/npy.ts';
import { loadUpstreamDumps } from '../datasets/multiood/dumps.ts';
import { initCompute } from '../methods/compute/index.ts';
import { evaluateOutputs } from '../harness/evaluate.ts';
import { selectScorers } from '../harness/scorer-selection.ts';

const [dir, ids] = process.argv.slice(2);
if (!dir || !ids) throw new Error('usage: bun bench/scorers-child.ts DIR SCORERS');
await initCompute();
const runs = selectScorers(ids);
const head = { weight: await readNpyMatrix(join(dir, 'W.npy')), bias: await readNpyVector(join(dir, 'b.npy')) };
const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as { dims: number[]; names: string[] };
let start = 0;
const modalities = meta.dims.map((d, i) => ({ name: meta.names[i]!, start, end: (start += d) }));
const outputs = await loadUpstreamDumps({
  dir, dataset: 'Kinetics', setting: 'near', appen: '', head, modalities, oodNames: ['near'],
  needTrain: runs.some((r) => r.scorer.usesFitFeatures), needVal: runs.some((r) => r.scorer.usesValFeatures),
});
const seconds: Record<string, number> = {};
const began = performance.now();
const results = evaluateOutputs(outputs, runs, { fitSplit: 'train', onScorerDone: (id, s) => (seconds[id] = s) });
const total = (performance.now() - began) / 1000;
const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
process.stdout.write(`${JSON.stringify({ seconds, total, peakRssMiB: hwm ? Number(hwm[1]) / 1024 : null, results })}\n`);
