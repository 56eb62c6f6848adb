/**
 * Benchmark (not a test): peak resident memory of one cell at the largest MultiOOD benchmarks'
 * size, against the bytes of data the cell reads (issue 15).
 *
 * For each benchmark (default kinetics600-near with video + audio + flow, and kinetics600-far
 * with video + flow), a generated feature folder of the benchmark's exact shape (widths, split
 * and OOD-set sizes, float32; `datasets/synthetic/generated-folder.ts`) is written once under
 * --data-dir, then one cell runs in a fresh process exactly as the grid runs it: load, train
 * (`--epochs`, default 1: memory does not grow with epochs), cache the outputs on disk, every
 * scorer. The child reports the peak resident set (VmHWM) of each phase, resetting it between
 * phases (/proc/self/clear_refs), and the parent the child's whole-life peak (getrusage).
 *
 * data = the sizes of the files the cell reads (manifest, .npy features of its modalities, labels).
 * Usage: bun bench/memory.ts [--benchmarks kinetics600-near,kinetics600-far] [--scale 1]
 *          [--data-dir DIR] [--recipe baseline] [--epochs 1] [--out bench/results/memory.json]
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: flags } = parseArgs({
  options: {
    benchmarks: { type: 'string', default: 'kinetics600-near,kinetics600-far' },
    scale: { type: 'string', default: '1' },
    'data-dir': { type: 'string', default: join(tmpdir(), 'multiood-bench-memory') },
    recipe: { type: 'string', default: 'baseline' },
    epochs: { type: 'string', default: '1' },
    out: { type: 'string', default: 'bench/results/memory.json' },
    child: { type: 'string' },
  },
});

/** The modality set each benchmark is measured with: its widest. */
const MODALITIES: Record<string, readonly string[]> = {
  'kinetics600-near': ['video', 'audio', 'flow'],
  'kinetics600-far': ['video', 'flow'],
};

interface Phase {
  readonly phase: string;
  readonly peakBytes: number;
  readonly seconds: number;
}

interface ChildReport {
  readonly benchmark: string;
  readonly modalities: readonly string[];
  readonly dataBytes: number;
  readonly phases: readonly Phase[];
  readonly seconds: number;
}

const MiB = 1024 ** 2;

function peakSinceReset(): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return kb ? Number(kb[1]) * 1024 : NaN;
}

/** Starts a new phase: the kernel's peak counter restarts from the current resident set. */
function resetPeak(): void {
  writeFileSync('/proc/self/clear_refs', '5');
}

async function child(id: string): Promise<void> {
  const { benchmarkById } = await import('../datasets/registry.ts');
  const { recipeById } = await import('../methods/training/recipes/index.ts');
  const { initBackend } = await import('../harness/backend.ts');
  const { selectScorers } = await import('../harness/scorer-selection.ts');
  const { runTraining } = await import('../harness/pipeline.ts');
  const { writeCachedTraining } = await import('../harness/grid/outputs-cache.ts');
  await initBackend('wasm');
  const dataDir = flags['data-dir']!;
  const benchmark = benchmarkById(id)!;
  const modalities = MODALITIES[id] ?? benchmark.modalitySets[0]!;
  const dataBytes = benchmark.dataFiles!({ modalities, dataDir }).reduce((s, f) => s + statSync(f).size, 0);
  const cacheDir = mkdtempSync(join(tmpdir(), 'bench-memory-outputs-'));
  const phases: Phase[] = [];
  const t0 = performance.now();
  let last = t0;
  const endPhase = (phase: string) => {
    const now = performance.now();
    phases.push({ phase, peakBytes: peakSinceReset(), seconds: (now - last) / 1000 });
    last = now;
    resetPeak();
  };
  resetPeak();
  try {
    await runTraining({
      benchmark,
      recipe: recipeById(flags.recipe!)!,
      modalities,
      seed: 0,
      overrides: { epochs: Number(flags.epochs) },
      scorers: selectScorers(undefined),
      dataDir,
      onWarning: () => {},
      onTrained: (r) => {
        endPhase('load + train + outputs');
        writeCachedTraining(cacheDir, 'cell', r);
        endPhase('outputs cache write');
      },
      onScorerDone: (scorer) => endPhase(`scorer ${scorer}`),
    });
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
  const report: ChildReport = { benchmark: id, modalities, dataBytes, phases, seconds: (performance.now() - t0) / 1000 };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

async function ensureFolder(id: string, scale: number, dataDir: string): Promise<void> {
  const { multioodDefinitionById } = await import('../datasets/multiood/definitions.ts');
  const { generatedShapeOf, writeGeneratedFolder } = await import('../datasets/synthetic/generated-folder.ts');
  const def = multioodDefinitionById(id);
  if (!def) throw new Error(`${id}: not a MultiOOD benchmark`);
  const spec = generatedShapeOf(def, { scale });
  const dir = join(dataDir, 'multiood', id);
  const manifestPath = join(dir, 'manifest.json');
  const wanted = { train: spec.sizes.train, val: spec.sizes.val, test: spec.sizes.test };
  if (existsSync(manifestPath)) {
    const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as { splits: Record<string, number>; modalities: { name: string }[] };
    if (m.splits.train === wanted.train && m.splits.val === wanted.val && m.modalities.length === spec.modalities.length) return;
  }
  const started = performance.now();
  rmSync(dir, { recursive: true, force: true });
  await writeGeneratedFolder(dir, spec);
  process.stderr.write(`generated ${dir} in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
}

async function main(): Promise<void> {
  if (flags.child) return child(flags.child);
  const scale = Number(flags.scale);
  const dataDir = flags['data-dir']!;
  const ids = flags.benchmarks!.split(',');
  const rows: (ChildReport & { peakBytes: number; ratio: number })[] = [];
  for (const id of ids) {
    await ensureFolder(id, scale, dataDir);
    const proc = Bun.spawn([process.execPath, import.meta.path, '--child', id, '--data-dir', dataDir, '--recipe', flags.recipe!, '--epochs', flags.epochs!], { stdout: 'pipe', stderr: 'inherit' });
    const out = await new Response(proc.stdout).text();
    const code = await proc.exited;
    if (code !== 0) throw new Error(`${id}: the measured cell exited with ${code}`);
    const report = JSON.parse(out.trim().split('\n').at(-1)!) as ChildReport;
    // getrusage's maxRSS (bytes under Bun) covers the child's whole life, phases included.
    const peakBytes = Math.max(proc.resourceUsage()?.maxRSS ?? 0, ...report.phases.map((p) => p.peakBytes));
    rows.push({ ...report, peakBytes, ratio: peakBytes / report.dataBytes });
    process.stdout.write(`${id} (${report.modalities.join('+')}): data ${(report.dataBytes / MiB).toFixed(0)} MiB, peak RSS ${(peakBytes / MiB).toFixed(0)} MiB, peak / data ${(peakBytes / report.dataBytes).toFixed(2)}, ${report.seconds.toFixed(0)} s\n`);
    for (const p of report.phases) process.stdout.write(`  ${p.phase.padEnd(26)} peak ${(p.peakBytes / MiB).toFixed(0).padStart(6)} MiB  ${p.seconds.toFixed(1).padStart(6)} s\n`);
  }
  const out = flags.out!;
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), scale, recipe: flags.recipe, epochs: Number(flags.epochs), loadavg: loadavg(), cells: rows }, null, 2)}\n`);
  process.stdout.write(`wrote ${out}\n`);
}

await main();
