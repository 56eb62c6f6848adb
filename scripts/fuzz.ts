/**
 * Seeded fuzzer for the file parsers and the results API (issue 14). Reproducible: the same seed
 * gives the same inputs. Bounded: a time budget, and every batch runs in a child process watched
 * for hangs and peak memory.
 *
 *   bun scripts/fuzz.ts [--seed 14] [--parsers 20000] [--api 1000] [--cli 200] [--seconds 1500]
 *
 * What counts as a failure:
 * - crash: a parser or request threw something other than the format's own one-line error
 *   (NpyFormatError, MatFormatError, ZipFormatError, CheckpointError, PickleError), an API
 *   response was a 5xx, or a CLI run ended other than exit 0 or exit 2 with exactly one line;
 * - hang: one input took longer than --input-seconds (default 20) or a batch passed its watchdog;
 * - memory: a child process's peak resident set (VmHWM) passed 1 GiB.
 * Mutations start from the committed fixtures in datasets/io/fixtures (real numpy, MATLAB-format,
 * pickle and torch.save files) and flip, overwrite with boundary values, truncate, duplicate and
 * splice their bytes.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REPO = join(import.meta.dir, '..');
const FIXTURES = join(REPO, 'datasets', 'io', 'fixtures');
const GIB = 1024 ** 3;

// ---------------------------------------------------------------------------------------------
// Seeded randomness and mutations
// ---------------------------------------------------------------------------------------------

/** mulberry32: small, fast, and the same sequence on every machine for a seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BOUNDARY = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff];

function mutate(source: Uint8Array, random: () => number): Uint8Array {
  const pick = (n: number) => Math.floor(random() * n);
  let out: Uint8Array = new Uint8Array(source);
  const rounds = 1 + pick(4);
  for (let r = 0; r < rounds && out.length > 0; r++) {
    const at = pick(out.length);
    switch (pick(7)) {
      case 0: // one bit
        out[at] = out[at]! ^ (1 << pick(8));
        break;
      case 1: // a boundary byte
        out[at] = BOUNDARY[pick(BOUNDARY.length)]!;
        break;
      case 2: // a 4- or 8-byte boundary integer (sizes, offsets, counts)
        for (let i = 0; i < (pick(2) ? 4 : 8) && at + i < out.length; i++) out[at + i] = pick(2) ? 0xff : i === 3 || i === 7 ? 0x7f : 0xff;
        break;
      case 3: // truncate
        out = out.slice(0, at);
        break;
      case 4: // duplicate a chunk
        {
          const length = Math.min(out.length - at, 1 + pick(64));
          const copy = new Uint8Array(out.length + length);
          copy.set(out.subarray(0, at + length));
          copy.set(out.subarray(at), at + length);
          out = copy;
        }
        break;
      case 5: // random bytes
        for (let i = 0; i < 1 + pick(16) && at + i < out.length; i++) out[at + i] = pick(256);
        break;
      default: // near the end, where zip and npy keep their directories and headers
        {
          const tail = Math.max(0, out.length - 1 - pick(Math.min(out.length, 128)));
          out[tail] = BOUNDARY[pick(BOUNDARY.length)]!;
        }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Targets
// ---------------------------------------------------------------------------------------------

type Kind = 'npy' | 'mat' | 'pickle' | 'torch';
const KINDS: readonly Kind[] = ['npy', 'mat', 'pickle', 'torch'];
const EXPECTED_ERRORS = new Set(['NpyFormatError', 'MatFormatError', 'ZipFormatError', 'CheckpointError', 'PickleError']);

function seedsOf(kind: Kind): { name: string; bytes: Uint8Array }[] {
  const dir = { npy: 'npy', mat: 'mat', pickle: 'pickle', torch: 'torch' }[kind];
  const ext = { npy: '.npy', mat: '.mat', pickle: '.pkl', torch: '.pt' }[kind];
  const files = readdirSync(join(FIXTURES, dir)).filter((f) => f.endsWith(ext)).map((f) => join(FIXTURES, dir, f));
  if (kind === 'torch') files.push(...['stride0.pt', 'zip64_locator.pt', 'zip_bomb.pt'].map((f) => join(FIXTURES, 'hostile', f)));
  if (kind === 'mat') files.push(join(FIXTURES, 'hostile', 'mat_bomb.mat'));
  return files.sort().map((f) => ({ name: f, bytes: new Uint8Array(readFileSync(f)) }));
}

interface BatchReport {
  inputs: number;
  accepted: number;
  refused: number;
  crashes: { index: number; what: string }[];
  slowest: number;
  peakRss: number;
}

function peakRss(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) * 1024 : process.memoryUsage().rss;
}

/** One batch of parser inputs, in this (child) process. */
async function parserBatch(kind: Kind, seed: number, start: number, count: number, progress: string): Promise<BatchReport> {
  const { parseNpy } = await import('../datasets/io/npy.ts');
  const { parseMat } = await import('../datasets/io/mat.ts');
  const { unpickle, DATA_GLOBALS } = await import('../datasets/io/pickle.ts');
  const { listCheckpointTensors, readLinearHead } = await import('../datasets/io/torch-checkpoint.ts');
  const seeds = seedsOf(kind);
  const dir = mkdtempSync(join(tmpdir(), 'multiood-fuzz-'));
  const report: BatchReport = { inputs: 0, accepted: 0, refused: 0, crashes: [], slowest: 0, peakRss: 0 };
  try {
    for (let index = start; index < start + count; index++) {
      writeFileSync(progress, String(index));
      const random = rng(seed * 1_000_003 + index * 7919 + KINDS.indexOf(kind));
      const base = seeds[Math.floor(random() * seeds.length)]!;
      const bytes = mutate(base.bytes, random);
      const name = join(dir, `input-${index}${base.name.slice(base.name.lastIndexOf('.'))}`);
      const t0 = performance.now();
      try {
        if (kind === 'npy') parseNpy(bytes, name);
        else if (kind === 'mat') parseMat(bytes, name);
        else if (kind === 'pickle') unpickle(bytes, { source: name, globals: DATA_GLOBALS });
        else {
          writeFileSync(name, bytes);
          await listCheckpointTensors(name).catch(() => undefined);
          await readLinearHead(name);
        }
        report.accepted++;
      } catch (e) {
        const error = e as Error;
        const oneLine = typeof error?.message === 'string' && !error.message.includes('\n') && error.message.startsWith(`${name}`);
        if (EXPECTED_ERRORS.has(error?.name) && oneLine) report.refused++;
        else report.crashes.push({ index, what: `${base.name.slice(FIXTURES.length + 1)}: ${error?.name}: ${String(error?.message).split('\n')[0]}` });
      } finally {
        if (kind === 'torch') rmSync(name, { force: true });
      }
      report.slowest = Math.max(report.slowest, (performance.now() - t0) / 1000);
      report.inputs++;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  report.peakRss = peakRss();
  return report;
}

/** One batch of API requests against a small store and a static folder with a hostile link. */
async function apiBatch(seed: number, start: number, count: number, progress: string): Promise<BatchReport> {
  const { createApp } = await import('../harness/api/app.ts');
  const { openStore } = await import('../harness/store/store.ts');
  const { cellConfig, finishedCell, resultRow, runMeta } = await import('../harness/store/test-helpers.ts');
  const dir = mkdtempSync(join(tmpdir(), 'multiood-fuzz-api-'));
  const report: BatchReport = { inputs: 0, accepted: 0, refused: 0, crashes: [], slowest: 0, peakRss: 0 };
  try {
    const db = join(dir, 'db.sqlite');
    const writer = openStore(db);
    const run = writer.beginRun(runMeta());
    for (let s = 0; s < 3; s++) writer.commitCell(run, finishedCell(cellConfig({ benchmark: 'synthetic-far', seed: s }), [resultRow('msp', 'ucf', 0.1 * s)]));
    writer.endRun(run, '2025-01-01T01:00:00.000Z');
    writer.close();
    mkdirSync(join(dir, 'dist'));
    writeFileSync(join(dir, 'dist', 'index.html'), '<h1>x</h1>');
    writeFileSync(join(dir, 'secret'), 'token');
    symlinkSync(join(dir, 'secret'), join(dir, 'dist', 'leak'));
    const store = openStore(db, { readonly: true });
    const app = createApp(store, { staticRoot: join(dir, 'dist') });
    const paths = ['/api/results', '/api/cells', '/api/leaderboard/synthetic-far', '/api/leaderboard/x', '/api/runs', '/api/benchmarks', '/api/methods', '/api/reported', '/api/cells/1/diagnostics', '/api/openapi.json', '/', '/index.html', '/leak', '/api/nope'];
    const keys = ['modalities', 'benchmark', 'recipe', 'scorer', 'ood', 'seed', 'split', 'limit', 'offset', 'status', 'run', 'x'];
    const words = ['video', 'audio', 'flow', 'depth', 'inertial', 'skeleton', 'm0', '', '%00', '%', '..', '%2e%2e%2f', '\u00e9', '1e309', '-1', '0', '99999999999999999999', 'done', 'a2d', 'msp'];
    try {
      for (let index = start; index < start + count; index++) {
        writeFileSync(progress, String(index));
        const random = rng(seed * 7_000_003 + index);
        const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
        let path = pick(paths);
        if (random() < 0.2) path += `/${pick(words)}${pick(words)}`;
        const params: string[] = [];
        for (let p = 0; p < Math.floor(random() * 4); p++) {
          const key = pick(keys);
          const n = random() < 0.3 ? 1 + Math.floor(random() * 60) : 1 + Math.floor(random() * 3);
          const value = Array.from({ length: n }, () => (random() < 0.5 ? pick(words) : `m${Math.floor(random() * 20)}`)).join(pick([',', '+', '%2C', ' ']));
          params.push(`${key}=${value}`);
        }
        const url = params.length ? `${path}?${params.join('&')}` : path;
        const t0 = performance.now();
        try {
          const res = await app.request(url);
          await res.arrayBuffer();
          if (res.status >= 500) report.crashes.push({ index, what: `${url}: ${res.status}` });
          else if (res.status >= 400) report.refused++;
          else report.accepted++;
          if (path === '/leak' && res.status === 200) report.crashes.push({ index, what: `${url}: served a symlink out of the site folder` });
        } catch (e) {
          report.crashes.push({ index, what: `${url}: threw ${(e as Error).message}` });
        }
        report.slowest = Math.max(report.slowest, (performance.now() - t0) / 1000);
        report.inputs++;
      }
    } finally {
      store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  report.peakRss = peakRss();
  return report;
}

/** Mutated checkpoints and submissions through the CLI: exit 0, or exit 2 with exactly one line. */
async function cliBatch(seed: number, start: number, count: number, progress: string): Promise<BatchReport> {
  const dumps = join(REPO, 'harness', 'fixtures', 'upstream-dumps', 'hmdb-near');
  const checkpoint = new Uint8Array(readFileSync(join(dumps, 'checkpoint.pt')));
  const submission = new Uint8Array(readFileSync(join(REPO, 'submissions', 'multiood-paper', 'submission.json')));
  const dir = mkdtempSync(join(tmpdir(), 'multiood-fuzz-cli-'));
  const report: BatchReport = { inputs: 0, accepted: 0, refused: 0, crashes: [], slowest: 0, peakRss: 0 };
  try {
    for (let index = start; index < start + count; index++) {
      writeFileSync(progress, String(index));
      const random = rng(seed * 9_000_011 + index);
      const submissionCase = index % 4 === 3;
      let args: string[];
      if (submissionCase) {
        const folder = join(dir, 'multiood-paper');
        mkdirSync(folder, { recursive: true });
        writeFileSync(join(folder, 'submission.json'), mutate(submission, random));
        args = ['submissions', 'validate', folder];
      } else {
        const file = join(dir, `head-${index}.pt`);
        writeFileSync(file, mutate(checkpoint, random));
        args = ['eval-dumps', '--saved-files', dumps, '--dataset', 'HMDB', '--setting', 'near', '--appen', 'a2d_npmix_best_', '--dims', '160,112', '--head', file, '--scorers', 'msp', '--json'];
      }
      const t0 = performance.now();
      const child = Bun.spawnSync([process.execPath, join(REPO, 'harness', 'cli.ts'), ...args], { stdout: 'pipe', stderr: 'pipe', timeout: 60_000 });
      const seconds = (performance.now() - t0) / 1000;
      const stderr = child.stderr.toString().trimEnd();
      const lines = stderr === '' ? 0 : stderr.split('\n').length;
      const code = child.exitCode;
      if (code === 0) report.accepted++;
      else if (code === 2 && (lines === 1 || (submissionCase && stderr.split('\n').every((l) => l.startsWith(join(dir, 'multiood-paper')))))) report.refused++;
      else report.crashes.push({ index, what: `${args[0]}: exit ${code ?? child.signalCode}, ${lines} stderr lines: ${stderr.split('\n')[0]?.slice(0, 200)}` });
      report.slowest = Math.max(report.slowest, seconds);
      report.inputs++;
      // the CLI child's own peak resident set (getrusage ru_maxrss, in bytes here)
      report.peakRss = Math.max(report.peakRss, child.resourceUsage?.maxRSS ?? 0);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  report.peakRss = Math.max(report.peakRss, peakRss());
  return report;
}

// ---------------------------------------------------------------------------------------------
// Driver: batches in child processes with a watchdog and a memory monitor
// ---------------------------------------------------------------------------------------------

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} ${process.argv[i + 1]}: expected a non-negative number`);
  return value;
}

async function worker(): Promise<void> {
  const [, , , target, seed, start, count, progress] = process.argv;
  const args = [Number(seed), Number(start), Number(count), progress!] as const;
  const report =
    target === 'api' ? await apiBatch(...args) : target === 'cli' ? await cliBatch(...args) : await parserBatch(target as Kind, ...args);
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

interface Totals {
  inputs: number;
  accepted: number;
  refused: number;
  crashes: string[];
  hangs: string[];
  overMemory: string[];
  slowest: number;
  peakRss: number;
}

async function runBatch(target: string, seed: number, start: number, count: number, inputSeconds: number, totals: Totals): Promise<void> {
  const progress = join(tmpdir(), `multiood-fuzz-progress-${process.pid}`);
  writeFileSync(progress, String(start));
  const child = Bun.spawn([process.execPath, import.meta.path, '--worker', target, String(seed), String(start), String(count), progress], { stdout: 'pipe', stderr: 'pipe' });
  // the watchdog: a batch may take at most inputSeconds per input plus start-up
  const limit = (count * inputSeconds + 30) * 1000;
  let lastIndex = start;
  let lastChange = performance.now();
  let hung = false;
  let peak = 0;
  const monitor = setInterval(() => {
    try {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      peak = Math.max(peak, Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024);
      const index = Number(readFileSync(progress, 'utf8'));
      if (index !== lastIndex) {
        lastIndex = index;
        lastChange = performance.now();
      } else if (performance.now() - lastChange > inputSeconds * 1000 * (target === 'cli' ? 4 : 1)) {
        hung = true;
        child.kill('SIGKILL');
      }
      if (peak > GIB) child.kill('SIGKILL');
    } catch {
      // the child has exited between polls
    }
  }, 50);
  const timer = setTimeout(() => {
    hung = true;
    child.kill('SIGKILL');
  }, limit);
  const [stdout, stderr] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
  await child.exited;
  clearInterval(monitor);
  clearTimeout(timer);
  rmSync(progress, { force: true });
  const where = `${target} seed ${seed} input ${lastIndex}`;
  if (hung) totals.hangs.push(where);
  if (peak > GIB) totals.overMemory.push(`${where}: ${(peak / GIB).toFixed(2)} GiB`);
  const line = stdout.trim().split('\n').at(-1);
  if (!line || child.exitCode !== 0) {
    if (!hung && peak <= GIB) totals.crashes.push(`${where}: batch process exited ${child.exitCode}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
    return;
  }
  const report = JSON.parse(line) as BatchReport;
  totals.inputs += report.inputs;
  totals.accepted += report.accepted;
  totals.refused += report.refused;
  totals.crashes.push(...report.crashes.map((c) => `${target} seed ${seed} input ${c.index}: ${c.what}`));
  totals.slowest = Math.max(totals.slowest, report.slowest);
  totals.peakRss = Math.max(totals.peakRss, report.peakRss, peak);
  if (report.slowest > inputSeconds) totals.hangs.push(`${target} seed ${seed}: an input took ${report.slowest.toFixed(1)} s`);
}

async function main(): Promise<void> {
  const seed = flag('seed', 14);
  const parsers = flag('parsers', 20_000);
  const api = flag('api', 1000);
  const cli = flag('cli', 200);
  const seconds = flag('seconds', 1500);
  const inputSeconds = flag('input-seconds', 20);
  const began = performance.now();
  const results: Record<string, Totals> = {};
  const plan: [string, number, number][] = [];
  const perKind = Math.ceil(parsers / KINDS.length);
  for (const kind of KINDS) for (let s = 0; s < perKind; s += 500) plan.push([kind, s, Math.min(500, perKind - s)]);
  for (let s = 0; s < api; s += 500) plan.push(['api', s, Math.min(500, api - s)]);
  for (let s = 0; s < cli; s += 25) plan.push(['cli', s, Math.min(25, cli - s)]);
  let skipped = 0;
  for (const [target, start, count] of plan) {
    if ((performance.now() - began) / 1000 > seconds) {
      skipped += count;
      continue;
    }
    const totals = (results[target] ??= { inputs: 0, accepted: 0, refused: 0, crashes: [], hangs: [], overMemory: [], slowest: 0, peakRss: 0 });
    await runBatch(target, seed, start, count, inputSeconds, totals);
    process.stderr.write(`\r${target} ${start + count} inputs, ${((performance.now() - began) / 1000).toFixed(0)} s`);
  }
  process.stderr.write('\n');
  let failures = 0;
  for (const [target, t] of Object.entries(results)) {
    failures += t.crashes.length + t.hangs.length + t.overMemory.length;
    process.stdout.write(
      `${target.padEnd(6)} ${String(t.inputs).padStart(6)} inputs: ${t.accepted} accepted, ${t.refused} refused (${target === 'api' ? '4xx' : 'one line'}), ${t.crashes.length} crashes, ${t.hangs.length} hangs, ${t.overMemory.length} over 1 GiB; slowest ${t.slowest.toFixed(2)} s, peak RSS ${(t.peakRss / 2 ** 20).toFixed(0)} MiB\n`,
    );
    for (const line of [...t.crashes, ...t.hangs, ...t.overMemory].slice(0, 10)) process.stdout.write(`  ${line}\n`);
  }
  if (skipped) process.stdout.write(`time budget (${seconds} s) reached: ${skipped} planned inputs not run\n`);
  process.stdout.write(`seed ${seed}, ${((performance.now() - began) / 1000).toFixed(0)} s\n`);
  process.exit(failures ? 1 : 0);
}

if (process.argv[2] === '--worker') await worker();
else await main();
