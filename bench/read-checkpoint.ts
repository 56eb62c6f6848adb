/**
 * How long readLinearHead takes, and how much memory it needs, on a realistically large
 * checkpoint: ~500 MB of backbone weights saved before MultiOOD's classifier head
 * (mlp_cls_state_dict: enc_net.weight 229 x 4352, enc_net.bias 229).
 *
 *   bun bench/read-checkpoint.ts            # prints one JSON object
 *   PYTHON=/path/to/python bun bench/read-checkpoint.ts
 *
 * The checkpoint is written by torch.save (Python with torch is needed; without it the bench
 * says so and exits 0) into a temporary directory that is removed afterwards. The measurement
 * runs in a fresh child process so the peak-RSS figure is the reader's alone. The file was just
 * written, so its pages are in the OS cache: the timings are warm-cache timings.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLinearHead } from '../datasets/io/torch-checkpoint.ts';

const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const CLASSES = 229;
const FEATURES = 4352;
const BACKBONE_BYTES = 500 * 1024 * 1024;
const RUNS = 5;

/** Writes the checkpoint and prints reference sums of the head, computed by torch in float64. */
const WRITE_CHECKPOINT_PY = `
import collections, json, sys, torch
path, classes, features, backbone_bytes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
torch.manual_seed(0)
backbone = collections.OrderedDict()
per_tensor = 1024 * 1024  # float32 elements: 4 MiB per tensor, like a large conv/linear layer
for i in range(backbone_bytes // (4 * per_tensor)):
    backbone["layers.%d.weight" % i] = torch.full((1024, 1024), float(i))
head = collections.OrderedDict()
head["enc_net.weight"] = torch.randn(classes, features)
head["enc_net.bias"] = torch.randn(classes)
torch.save({"epoch": 10, "model_state_dict": backbone, "mlp_cls_state_dict": head}, path)
w, b = head["enc_net.weight"].double(), head["enc_net.bias"].double()
print(json.dumps({"tensors": len(backbone) + 2, "weightSum": w.sum().item(), "weightLast": w[-1, -1].item(), "biasSum": b.sum().item()}))
`;

interface TorchReference {
  tensors: number;
  weightSum: number;
  weightLast: number;
  biasSum: number;
}

interface Measurement {
  firstReadMs: number;
  medianReadMs: number;
  runs: number;
  rssBeforeMiB: number;
  peakRssDeltaMiB: number;
  classes: number;
  features: number;
  weightSum: number;
  weightLast: number;
  biasSum: number;
}

if (process.argv[2] === '--measure') {
  console.log(JSON.stringify(await measure(process.argv[3]!)));
} else {
  await main();
}

async function main(): Promise<void> {
  if (spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status !== 0) {
    console.log(JSON.stringify({ skipped: `${PYTHON} with torch is not available; set PYTHON to an interpreter that has torch` }));
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'read-checkpoint-bench-'));
  try {
    const path = join(dir, 'multiood_checkpoint.pt');
    const reference = writeCheckpoint(path);
    const measured = runMeasurement(path);
    console.log(JSON.stringify(report(path, (await stat(path)).size, reference, measured), null, 2));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function writeCheckpoint(path: string): TorchReference {
  const args = ['-c', WRITE_CHECKPOINT_PY, path, String(CLASSES), String(FEATURES), String(BACKBONE_BYTES)];
  const result = spawnSync(PYTHON, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (result.status !== 0) throw new Error(`writing the checkpoint failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as TorchReference;
}

/** A fresh process, so that its peak RSS reflects the reader and not the bench's setup. */
function runMeasurement(path: string): Measurement {
  const result = spawnSync(process.execPath, [import.meta.path, '--measure', path], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`measurement failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Measurement;
}

async function measure(path: string): Promise<Measurement> {
  const rssBefore = process.memoryUsage().rss;
  const peakBefore = process.resourceUsage().maxRSS * 1024;
  const times: number[] = [];
  let head = await timed(times, () => readLinearHead(path));
  const peakAfterFirst = process.resourceUsage().maxRSS * 1024;
  for (let run = 1; run < RUNS; run++) head = await timed(times, () => readLinearHead(path));
  const sorted = [...times].sort((a, b) => a - b);
  const mib = (bytes: number): number => round(bytes / 2 ** 20, 1);
  return {
    firstReadMs: round(times[0]!, 1),
    medianReadMs: round(sorted[Math.floor(sorted.length / 2)]!, 1),
    runs: RUNS,
    rssBeforeMiB: mib(rssBefore),
    // maxRSS is a high-water mark; before the first read it is the process's own startup peak.
    peakRssDeltaMiB: mib(Math.max(0, peakAfterFirst - Math.max(peakBefore, rssBefore))),
    classes: head.weight.rows,
    features: head.weight.cols,
    weightSum: head.weight.data.reduce((sum, value) => sum + value, 0),
    weightLast: head.weight.data[head.weight.data.length - 1]!,
    biasSum: head.bias.reduce((sum, value) => sum + value, 0),
  };
}

async function timed<T>(times: number[], run: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const value = await run();
  times.push(performance.now() - start);
  return value;
}

function report(path: string, size: number, reference: TorchReference, measured: Measurement): object {
  const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
  return {
    checkpoint: { path, sizeMiB: round(size / 2 ** 20, 1), tensors: reference.tensors },
    head: { classes: measured.classes, features: measured.features },
    readLinearHead: {
      firstReadMs: measured.firstReadMs,
      medianReadMs: measured.medianReadMs,
      runs: measured.runs,
      rssBeforeMiB: measured.rssBeforeMiB,
      peakRssDeltaMiB: measured.peakRssDeltaMiB,
    },
    matchesTorch:
      measured.classes === CLASSES &&
      measured.features === FEATURES &&
      measured.weightLast === reference.weightLast &&
      close(measured.weightSum, reference.weightSum) &&
      close(measured.biasSum, reference.biasSum),
    cache: 'warm (file just written)',
    runtime: `bun ${Bun.version}`,
  };
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
