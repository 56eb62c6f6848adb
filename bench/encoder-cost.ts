/**
 * Benchmark (not a test): what the trainable per-modality block costs per epoch at MultiOOD's
 * widths (video 2304 + flow 2048, C 25, batch 16, HMDB51-near's 2,074 training rows), against
 * identity encoders (heads only), for A2D + NP-Mix with synthesis from the first epoch (the most
 * expensive recipe) and for the baseline. Each configuration trains 2 epochs in this process;
 * the second epoch's seconds (warm) are reported, with the ratio to identity measured in the
 * same run. identity + A2D is refused by the harness (it cannot differ from the baseline), so
 * * only the baseline runs with identity encoders here.
 * Usage: bun bench/encoder-cost.ts [--ranks 16,64,256] [--out bench/results/encoder-cost.json]
 */
import { parseArgs } from 'node:util';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Benchmark, BenchmarkData } from '../datasets/benchmark.ts';
import { matrix } from '../methods/linalg/matrix.ts';
import { Random } from '../methods/random.ts';

const { values } = parseArgs({ options: { ranks: { type: 'string', default: '16,64,256' }, out: { type: 'string' } } });
const DIMS = [2304, 2048];
const C = 25;
const ROWS = 2074;

function data(): { benchmark: Benchmark; data: BenchmarkData } {
  const rng = new Random(3);
  const split = (n: number) => {
    const labels = Int32Array.from({ length: n }, (_, i) => i % C);
    const features = Object.fromEntries(DIMS.map((d, k) => {
      const m = matrix(n, d);
      for (let i = 0; i < m.data.length; i++) m.data[i] = Math.abs(rng.normal());
      return [['video', 'flow'][k]!, m];
    }));
    return { features, labels };
  };
  const d: BenchmarkData = { train: split(ROWS), val: split(64), test: split(16), ood: new Map([['near', { features: split(16).features }]]) };
  const benchmark: Benchmark = {
    id: 'encoder-cost', title: 'encoder cost', origin: 'generated', setting: 'near', classNames: Array.from({ length: C }, (_, i) => `c${i}`),
    modalities: [{ name: 'video', dim: 2304 }, { name: 'flow', dim: 2048 }], modalitySets: [['video', 'flow']], splits: 1, fitSplit: 'train',
    training: { epochs: { baseline: 2, a2d: 2, a2dNpmix: 2 }, a2dWeight: 1, npmix: { a2d: 0.5, ood: 0.5, ent: 0.5, startEpoch: 0 }, encoder: 'adapter' },
    availability: () => ({ available: true }), load: async () => d,
  };
  return { benchmark, data: d };
}

const { initBackend } = await import('../harness/backend.ts');
const { trainModel } = await import('../methods/training/train.ts');
await initBackend('wasm');
const { benchmark, data: d } = data();
const rows: { encoder: string; rank?: number; recipe: string; secondsPerEpoch: number }[] = [];
const configs: { encoder: 'identity' | 'adapter' | 'mlp'; rank?: number }[] = [{ encoder: 'identity' }, ...values.ranks!.split(',').map((r) => ({ encoder: 'adapter' as const, rank: Number(r) })), { encoder: 'mlp' }];
for (const recipe of ['baseline', 'a2d_npmix']) {
  for (const c of configs) {
    if (c.encoder === 'identity' && recipe !== 'baseline') continue; // refused: cannot differ from the baseline
    const r = await trainModel(d, { benchmark, modalities: ['video', 'flow'], recipe, seed: 0, trainOutputs: false, overrides: { encoder: c.encoder, ...(c.rank ? { rank: c.rank } : {}) } });
    rows.push({ encoder: c.encoder, ...(c.rank ? { rank: c.rank } : {}), recipe, secondsPerEpoch: r.curve[1]!.seconds });
    process.stderr.write(`${recipe} ${c.encoder}${c.rank ? ` rank ${c.rank}` : ''}: ${r.curve[1]!.seconds.toFixed(2)} s/epoch\n`);
  }
}
const identity = rows.find((r) => r.encoder === 'identity')!.secondsPerEpoch;
const table = rows.map((r) => ({ ...r, vsIdentityBaseline: r.secondsPerEpoch / identity }));
console.table(table);
if (values.out) {
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, `${JSON.stringify({ command: `bun bench/encoder-cost.ts --ranks ${values.ranks}`, date: new Date().toISOString(), rows: table }, null, 2)}\n`);
}
