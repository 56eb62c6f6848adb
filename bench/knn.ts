/**
 * KNN at Kinetics-600 near-OOD scale: fit 22,549 x 4352 (V+F), queries 14,902 (ID test 4,902 +
 * OOD 10,000), K = 10, on synthetic post-ReLU clustered features (float32 values, fixed seed).
 *
 *   bun bench/knn.ts [--fit 22549] [--queries 14902] [--dim 4352] [--js-sample 128] [--x1-sample 2048] [--no-faiss]
 *
 * Each measurement runs in its own child process, so "peakRssMiB" is that run's high-water mark
 * (VmHWM) and "dataRssMiB" the RSS after generating the float64 inputs (the harness's Matrix format,
 * ~1.2 GiB here), before any KNN work. Modes:
 * - wasm xT: the default backend after initCompute() (T = available cores), every query; KNN takes
 *   its int16 stage 1 there, as in the harness (js has only the float32 one).
 * - wasm x1 and js: a sample of the first N queries against the full fit set, time extrapolated
 *   linearly to all queries ("extrapolated": true; prepare time is counted once).
 * - faiss: IndexFlatL2 (float32, faiss's own threads) on the same float32 data via /usr/bin/python3,
 *   with OpenOOD's normalizer; skipped with a message when faiss is not importable. Its K-th
 *   distances are compared with ours (max absolute difference).
 * Prints one JSON object. Each run also reports cpuPerWall (CPU seconds of all its threads per wall
 * second) and the load average, since other processes on a shared machine skew wall times.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createWasmBackend,
  initCompute,
  jsBackend,
  type ComputeBackend,
} from '../methods/compute/index.ts';
import { matrix, sliceRows, type Matrix } from '../methods/linalg/matrix.ts';
import { buildKnnIndex, type KnnStats } from '../methods/scorers/knn.ts';

const K = 10;

interface Options {
  fit: number;
  queries: number;
  dim: number;
  jsSample: number;
  x1Sample: number;
  faiss: boolean;
}

function parseArgs(argv: string[]): { opts: Options; child?: string; dir?: string } {
  const opts: Options = { fit: 22549, queries: 14902, dim: 4352, jsSample: 128, x1Sample: 2048, faiss: true };
  let child: string | undefined;
  let dir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = () => Number(argv[++i]);
    if (a === '--fit') opts.fit = next();
    else if (a === '--queries') opts.queries = next();
    else if (a === '--dim') opts.dim = next();
    else if (a === '--js-sample') opts.jsSample = next();
    else if (a === '--x1-sample') opts.x1Sample = next();
    else if (a === '--no-faiss') opts.faiss = false;
    else if (a === '--child') child = argv[++i];
    else if (a === '--dir') dir = argv[++i];
    else throw new Error(`unknown argument ${a}`);
  }
  return { opts, child, dir };
}

/**
 * Post-ReLU-like features: 129 class centres (sparse-ish, non-negative), each row a centre plus
 * noise, clipped at 0; OOD-like queries use 100 other centres. Values are float32.
 */
function generate(opts: Options): { fit: Matrix; queries: Matrix } {
  let s = 0x2545f491;
  const rand = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
  const d = opts.dim;
  const centre = () => {
    const c = new Float64Array(d);
    for (let t = 0; t < d; t++) c[t] = rand() < 0.5 ? 0 : rand() * 2;
    return c;
  };
  const idCentres = Array.from({ length: 129 }, centre);
  const oodCentres = Array.from({ length: 100 }, centre);
  const fill = (m: Matrix, row0: number, rows: number, centres: Float64Array[]) => {
    for (let i = row0; i < row0 + rows; i++) {
      const c = centres[Math.floor(rand() * centres.length)]!;
      for (let t = 0; t < d; t++) {
        const v = c[t]! + (rand() - 0.5) * 1.5;
        m.data[i * d + t] = v > 0 ? Math.fround(v) : 0;
      }
    }
  };
  const fit = matrix(opts.fit, d);
  fill(fit, 0, opts.fit, idCentres);
  const queries = matrix(opts.queries, d);
  const nId = Math.min(opts.queries, Math.round(opts.queries * (4902 / 14902)));
  fill(queries, 0, nId, idCentres);
  fill(queries, nId, opts.queries - nId, oodCentres);
  return { fit, queries };
}

/**
 * Wraps a backend to time its products' multiply() calls, float32 and int16 alike (KNN takes the
 * int16 path where the backend has it, as in the harness).
 */
function timed(backend: ComputeBackend, t: { multiply: number }): ComputeBackend {
  const timeMultiply = <A, R extends { multiply(a: A, rowsA: number, out?: A): A }>(right: R): R => {
    const multiply = right.multiply.bind(right);
    right.multiply = (a: A, rowsA: number, out?: A) => {
      const t0 = performance.now();
      const c = multiply(a, rowsA, out);
      t.multiply += performance.now() - t0;
      return c;
    };
    return right;
  };
  return {
    name: backend.name,
    threads: backend.threads,
    prepareRight: (b, rows, cols) => timeMultiply(backend.prepareRight(b, rows, cols)),
    ...(backend.prepareRightInt16Pairs
      ? { prepareRightInt16Pairs: (b: Int32Array, rows: number, pairs: number) => timeMultiply(backend.prepareRightInt16Pairs!(b, rows, pairs)) }
      : {}),
  };
}

function rssMiB(): number {
  return process.memoryUsage().rss / 2 ** 20;
}

function peakRssMiB(): number | null {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : null;
}

async function runChild(mode: string, opts: Options, dir: string): Promise<void> {
  const { fit, queries } = generate(opts);
  const dataRssMiB = rssMiB();
  let backend: ComputeBackend;
  let sample = opts.queries;
  if (mode === 'wasm') backend = await initCompute();
  else if (mode === 'wasm-x1') {
    backend = createWasmBackend({ threads: 1 });
    sample = Math.min(opts.x1Sample, opts.queries);
  } else if (mode === 'js') {
    backend = jsBackend;
    sample = Math.min(opts.jsSample, opts.queries);
  } else throw new Error(`unknown mode ${mode}`);
  const q = sample === opts.queries ? queries : sliceRows(queries, 0, sample);
  const times = { multiply: 0 };
  const stats: KnnStats = { queries: 0, refined: 0 };
  const load0 = loadavg()[0]!;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const index = buildKnnIndex(fit);
  const tIndex = performance.now() - t0;
  const measured = timed(backend, times);
  // One query first: it quantises and packs the fit rows, which the index keeps for the next call.
  const t1 = performance.now();
  index.kthDistances(sliceRows(q, 0, 1), K, { backend: measured });
  const tPrepare = performance.now() - t1;
  times.multiply = 0;
  const t2 = performance.now();
  const dist = index.kthDistances(q, K, { backend: measured, stats });
  const tSearch = performance.now() - t2;
  index.dispose();
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const perQuery = tSearch / sample;
  const seconds = (tIndex + tPrepare + perQuery * opts.queries) / 1000;
  if (mode === 'wasm') writeFileSync(join(dir, 'ours.f64'), new Uint8Array(dist.buffer));
  const result = {
    mode,
    backend: backend.name,
    queriesRun: sample,
    extrapolated: sample !== opts.queries,
    seconds: round(seconds),
    breakdown: {
      unitScaleFitSeconds: round(tIndex / 1000),
      /** Quantising (int16 path) and packing the fit rows, with one query's search. */
      prepareFitSeconds: round(tPrepare / 1000),
      gemmSecondsRun: round(times.multiply / 1000),
      /** Scaling (and quantising) the queries, selecting and re-scoring their windows. */
      selectAndRefineSecondsRun: round((tSearch - times.multiply) / 1000),
    },
    gflops: round((2 * sample * opts.fit * opts.dim) / (times.multiply / 1000) / 1e9),
    /** CPU seconds (all threads) over wall seconds of the run: ~T when T threads got their cores. */
    cpuPerWall: round(cpuSeconds / ((tIndex + tPrepare + tSearch) / 1000)),
    /** GEMM flops of the run per CPU second of the whole run (robust to other load). */
    gflopsPerCpuSecond: round((2 * sample * opts.fit * opts.dim) / cpuSeconds / 1e9),
    /** 1-minute load average when the run started and ended (other processes share the cores). */
    loadAvg: [round(load0), round(loadavg()[0]!)],
    refinedPerQuery: round(stats.refined / stats.queries),
    dataRssMiB: Math.round(dataRssMiB),
    peakRssMiB: Math.round(peakRssMiB() ?? rssMiB()),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

const FAISS_SCRIPT = `
import json, os, sys, time
import numpy as np
try:
    import faiss
except Exception as e:
    print(json.dumps({"skipped": "faiss not importable: %s" % e})); sys.exit(0)
d, nf, nq, k, root = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
fit = np.fromfile(root + "/fit.f32", dtype=np.float32).reshape(nf, d)
q = np.fromfile(root + "/queries.f32", dtype=np.float32).reshape(nq, d)
normalizer = lambda x: x / (np.linalg.norm(x, axis=-1, keepdims=True) + 1e-10)
t0 = time.perf_counter(); c0 = time.process_time()
fit_u = normalizer(fit); q_u = normalizer(q)
t1 = time.perf_counter()
index = faiss.IndexFlatL2(d); index.add(fit_u)
D, _ = index.search(q_u, k)
t2 = time.perf_counter(); c2 = time.process_time()
D[:, k - 1].astype(np.float64).tofile(root + "/faiss.f64")
print(json.dumps({"mode": "faiss", "faiss": faiss.__version__, "threads": faiss.omp_get_max_threads(),
                  "seconds": round(t2 - t0, 3), "cpuPerWall": round((c2 - c0) / (t2 - t0), 3),
                  "gflopsPerCpuSecond": round(2.0 * nq * nf * d / (c2 - c0) / 1e9, 3), "loadAvg": os.getloadavg()[0], "normalizeSeconds": round(t1 - t0, 3), "searchSeconds": round(t2 - t1, 3)}))
`;

function runFaiss(opts: Options, dir: string): Record<string, unknown> {
  const { fit, queries } = generate(opts);
  writeFileSync(join(dir, 'fit.f32'), new Uint8Array(Float32Array.from(fit.data).buffer));
  writeFileSync(join(dir, 'queries.f32'), new Uint8Array(Float32Array.from(queries.data).buffer));
  const py = spawnSync('/usr/bin/python3', ['-c', FAISS_SCRIPT, String(opts.dim), String(opts.fit), String(opts.queries), String(K), dir], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (py.error || py.status !== 0) return { mode: 'faiss', skipped: `python failed: ${py.error?.message ?? py.stderr.slice(-500)}` };
  const out = JSON.parse(py.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
  if (out.skipped) return { mode: 'faiss', ...out };
  const ours = new Float64Array(readFileSync(join(dir, 'ours.f64')).buffer.slice(0));
  const theirs = new Float64Array(readFileSync(join(dir, 'faiss.f64')).buffer.slice(0));
  let maxAbsDiff = 0;
  for (let i = 0; i < ours.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(ours[i]! - theirs[i]!));
  return { ...out, maxAbsDiffVsOurs: maxAbsDiff };
}

const { opts, child, dir } = parseArgs(process.argv.slice(2));
if (child !== undefined) {
  await runChild(child, opts, dir!);
} else {
  const work = mkdtempSync(join(tmpdir(), 'knn-bench-'));
  const passArgs = process.argv.slice(2);
  const runs: unknown[] = [];
  try {
    for (const mode of ['wasm', 'wasm-x1', 'js']) {
      const r = spawnSync(process.execPath, [import.meta.path, ...passArgs, '--child', mode, '--dir', work], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        maxBuffer: 1 << 20,
      });
      if (r.status !== 0) throw new Error(`child ${mode} failed (${r.status})`);
      runs.push(JSON.parse(r.stdout.trim().split('\n').pop()!));
    }
    runs.push(opts.faiss ? runFaiss(opts, work) : { mode: 'faiss', skipped: '--no-faiss' });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  process.stdout.write(
    `${JSON.stringify({ fit: opts.fit, queries: opts.queries, dim: opts.dim, k: K, cores: navigator.hardwareConcurrency, runs }, null, 2)}\n`,
  );
}
