/**
 * One measurement for bench/scorers.ts: loads upstream-layout dumps, fits and scores the given
 * scorers in this process, prints JSON {seconds per scorer, total, peak RSS, results}. With
 * REPEAT > 1 the whole evaluation runs REPEAT times in this process: `seconds` are then the
 * medians, `firstSeconds` the first run's, and `total` the first run's.
 * Usage: bun bench/scorers-child.ts DIR msp,energy,... [REPEAT]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNpyMatrix, readNpyVector } from '../datasets/io/npy.ts';
import { loadUpstreamDumps } from '../datasets/multiood/dumps.ts';
import { initCompute } from '../methods/compute/index.ts';
import { evaluateOutputs } from '../harness/evaluate.ts';
import { selectScorers } from '../harness/scorer-selection.ts';

const [dir, ids, repeatArg] = process.argv.slice(2);
if (!dir || !ids) throw new Error('usage: bun bench/scorers-child.ts DIR SCORERS [REPEAT]');
const repeat = Number(repeatArg ?? 1);
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
const times: Record<string, number[]> = {};
let total = 0;
let results: ReturnType<typeof evaluateOutputs> = [];
for (let r = 0; r < repeat; r++) {
  const began = performance.now();
  results = evaluateOutputs(outputs, runs, { fitSplit: 'train', onScorerDone: (id, s) => (times[id] ??= []).push(s) });
  if (r === 0) total = (performance.now() - began) / 1000;
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
const seconds = Object.fromEntries(Object.entries(times).map(([id, v]) => [id, median(v)]));
const firstSeconds = Object.fromEntries(Object.entries(times).map(([id, v]) => [id, v[0]!]));
const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
process.stdout.write(`${JSON.stringify({ seconds, firstSeconds, total, peakRssMiB: hwm ? Number(hwm[1]) / 1024 : null, results })}\n`);
