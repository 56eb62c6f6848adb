/**
 * Results exports: the committed, reviewable form of a results database. One pretty JSON file per
 * benchmark (`<benchmark>.json`) holding the benchmark's record, the runs' provenance and every
 * done cell with its configuration, its results per scorer configuration and its diagnostics, in
 * a stable order (cells by id, scorer configurations by key, OOD sets by name, object keys
 * sorted), so that re-exporting after more work gives a small diff.
 *
 * Importing validates every file (zod schema, then the identities: a cell id is the hash of its
 * config, a scorer key the hash of its settings, a configuration key and the default flag what
 * the store would derive), writes each file into a temporary database through the store's own
 * `writeCell`, and merges those into the target with `mergeStores`: identical cells dedupe, a
 * cell with the same id and different results is an error naming both files.
 */
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { and, asc, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import { InputError } from '../errors.ts';
import { canonicalJson, sha256Hex } from '../identity/canonical.ts';
import { cellIdOf, configKeyOf, isDefaultConfiguration, scorerKeyOf } from '../identity/configuration.ts';
import { readRegularFile, singleLine, SubmissionFileError } from '../submissions/load.ts';
import type { CellConfig, CellDiagnostics, FinishedCell } from './contract.ts';
import { mergeStores, type MergeReport } from './merge.ts';
import * as schema from './schema.ts';
import { openStore } from './store.ts';

export const EXPORT_FORMAT = 'multiood-results';
export const EXPORT_VERSION = 1;
/** An export file larger than this is refused unread (MULTIOOD_MAX_EXPORT_MB raises it). */
export function maxExportBytes(): number {
  const raw = process.env.MULTIOOD_MAX_EXPORT_MB ?? '64';
  const mb = Number(raw);
  if (!Number.isFinite(mb) || mb <= 0) throw new InputError(`MULTIOOD_MAX_EXPORT_MB=${JSON.stringify(raw)}: expected a positive number of MiB`);
  return Math.floor(mb * 1024 * 1024);
}
/** A folder is searched this deep for export files. */
const MAX_DEPTH = 8;

// ---------------------------------------------------------------------------------------------
// The schema

const line = (max = 2000) => z.string().max(max).regex(/^[^\u0000-\u001f\u007f]*$/, 'one line, no control characters');
const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/, 'an id: letters, digits, . _ + -');
const hex = (n: number) => z.string().regex(new RegExp(`^[0-9a-f]{${n}}$`), `${n} lowercase hex digits`);
const timestamp = z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, 'an ISO 8601 UTC time (2025-01-31T12:00:00.000Z)');
const fraction = z.number().min(0).max(1);
const json = z.json();
const jsonObject = z.record(z.string(), json);

const runSchema = z
  .object({
    /** hash of the provenance fields below (all but endedAt): the same run has the same key everywhere */
    key: hex(16),
    command: line(10_000),
    gitCommit: line(200).nullable(),
    harnessVersion: line(100),
    backend: line(100),
    machine: line(500),
    shard: line(100).nullable(),
    startedAt: timestamp,
    endedAt: timestamp.nullable(),
  })
  .strict();

const scorerConfigSchema = z.object({ id, key: line(200), settings: jsonObject, code: line(200), isDefault: z.boolean() }).strict();

const cellConfigSchema = z
  .object({
    benchmark: id,
    dataFingerprint: line(200),
    modalities: z.array(id).min(1).max(16),
    recipe: id,
    training: jsonObject,
    seed: z.int().min(0),
    split: z.int().min(0),
    backend: id,
    trainingCode: line(200),
    defaultTraining: z.boolean(),
    scorers: z.array(scorerConfigSchema).max(1000),
  })
  .strict();

const metricsSchema = z.object({ ood: id, fpr95: fraction, auroc: fraction, auprIn: fraction, auprOut: fraction, idAcc: fraction }).strict();

/** One scorer configuration's results on a cell (the columns the store keeps per result row). */
const scoringSchema = z
  .object({
    scorer: id,
    scorerKey: line(200),
    settings: jsonObject,
    code: line(200),
    configKey: line(200),
    isDefault: z.boolean(),
    results: z.array(metricsSchema).min(1).max(1000),
  })
  .strict();

const finiteOrNull = z.number().nullable();
const diagnosticsSchema = z
  .object({
    lId: finiteOrNull,
    lOod: z.record(z.string(), finiteOrNull),
    curve: z.array(jsonObject).max(100_000),
    bestEpoch: z.int().min(0),
    // null where a non-finite value was stored (JSON has no Infinity): kept as the database holds it
    histograms: z.record(z.string(), z.object({ edges: z.array(z.number().nullable()), counts: z.record(z.string(), z.array(z.number().nullable())) }).strict()),
    skipped: z.array(z.object({ scorer: id, key: line(200).optional(), code: line(200).optional(), reason: line(2000) }).strict()),
  })
  .strict();

const cellSchema = z
  .object({
    id: hex(64),
    run: hex(16),
    status: z.literal('done'),
    startedAt: timestamp,
    endedAt: timestamp,
    seconds: z.number().min(0),
    error: line(2000).nullable().optional(),
    config: cellConfigSchema,
    scorings: z.array(scoringSchema).max(1000),
    diagnostics: diagnosticsSchema.nullable(),
  })
  .strict();

export const exportFileSchema = z
  .object({
    format: z.literal(EXPORT_FORMAT),
    version: z.literal(EXPORT_VERSION),
    benchmark: id,
    /** the benchmark as the runs recorded it (declaration, origin); null when no run recorded it */
    record: z.object({ origin: line(100), declaration: jsonObject, updatedAt: timestamp }).strict().nullable(),
    runs: z.array(runSchema),
    cells: z.array(cellSchema),
  })
  .strict();

export type ExportFile = z.infer<typeof exportFileSchema>;
type ExportCell = ExportFile['cells'][number];
type ExportRun = ExportFile['runs'][number];

// ---------------------------------------------------------------------------------------------
// Identity checks shared by export and import

/** The key of a run: its provenance, so that two exports of one run name it alike. */
export function runKeyOf(r: Omit<ExportRun, 'key' | 'endedAt'>): string {
  const { command, gitCommit, harnessVersion, backend, machine, shard, startedAt } = r;
  return sha256Hex(canonicalJson({ command, gitCommit, harnessVersion, backend, machine, shard, startedAt })).slice(0, 16);
}

/** The first inconsistency of a parsed file as [field path, what was expected], or null. */
function identityProblem(file: ExportFile): [string, string] | null {
  if (file.record && file.record.declaration.id !== undefined && file.record.declaration.id !== file.benchmark) {
    return ['record.declaration.id', `the file's benchmark ${JSON.stringify(file.benchmark)}`];
  }
  const runKeys = new Set<string>();
  for (const [i, r] of file.runs.entries()) {
    const key = runKeyOf(r);
    if (r.key !== key) return [`runs[${i}].key`, `the hash of the run's provenance, ${key}`];
    if (runKeys.has(key)) return [`runs[${i}]`, 'each run once'];
    runKeys.add(key);
  }
  const cellIds = new Set<string>();
  for (const [i, c] of file.cells.entries()) {
    const at = `cells[${i}]`;
    const config = c.config as CellConfig;
    if (config.benchmark !== file.benchmark) return [`${at}.config.benchmark`, `the file's benchmark ${JSON.stringify(file.benchmark)}`];
    const expectedId = cellIdOf(config);
    if (c.id !== expectedId) return [`${at}.id`, `the hash of the cell's config, ${expectedId}`];
    if (cellIds.has(c.id)) return [at, `each cell once (${c.id} is repeated)`];
    cellIds.add(c.id);
    if (!runKeys.has(c.run)) return [`${at}.run`, 'the key of a run listed in runs'];
    const declared = new Map<string, CellConfig['scorers'][number]>();
    for (const [j, s] of config.scorers.entries()) {
      const key = scorerKeyOf(s.id, s.settings);
      if (s.key !== key) return [`${at}.config.scorers[${j}].key`, `the hash of the scorer and its settings, ${key}`];
      if (declared.has(s.key)) return [`${at}.config.scorers[${j}]`, 'each scorer configuration once'];
      declared.set(s.key, s);
    }
    const scored = new Set<string>();
    for (const [j, s] of c.scorings.entries()) {
      const where = `${at}.scorings[${j}]`;
      const d = declared.get(s.scorerKey);
      if (!d) return [`${where}.scorerKey`, "a scorer configuration the cell's config declares"];
      if (scored.has(s.scorerKey)) return [where, 'each scorer configuration once'];
      scored.add(s.scorerKey);
      if (s.scorer !== d.id) return [`${where}.scorer`, `the declared scorer ${JSON.stringify(d.id)}`];
      if (canonicalJson(s.settings) !== canonicalJson(d.settings)) return [`${where}.settings`, 'the declared settings of the scorer configuration'];
      if (s.code !== d.code) return [`${where}.code`, `the declared code version ${JSON.stringify(d.code)}`];
      const configKey = configKeyOf(config, d);
      if (s.configKey !== configKey) return [`${where}.configKey`, `the configuration's key, ${configKey}`];
      const isDefault = isDefaultConfiguration(config, d);
      if (s.isDefault !== isDefault) return [`${where}.isDefault`, `${isDefault} (default training, default scorer settings, default backend)`];
      const oods = new Set<string>();
      for (const [k, r] of s.results.entries()) {
        if (oods.has(r.ood)) return [`${where}.results[${k}].ood`, `each OOD set once (${r.ood} is repeated)`];
        oods.add(r.ood);
      }
    }
  }
  return null;
}

/** A zod issue path as `cells[3].config.seed`. */
function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(file)';
}

/**
 * Parses and checks one export file's text; a problem is a one-line InputError
 * `<label>: <field>: <expected>` (the label is the file, or what is being exported).
 */
export function parseExport(file: string, text: string, label = file): ExportFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const message = (e instanceof Error ? e.message : String(e)).split('\n')[0]!.replace(/(["'`]).*?\1/g, '<text>').slice(0, 120);
    throw new InputError(`${label}: (file): expected JSON (${message})`);
  }
  const parsed = exportFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const more = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more problems)` : '';
    throw new InputError(singleLine(`${label}: ${fieldPath(issue.path)}: ${issue.message}${more}`));
  }
  const problem = identityProblem(parsed.data);
  if (problem) throw new InputError(singleLine(`${label}: ${problem[0]}: expected ${problem[1]}`));
  const expectedName = `${parsed.data.benchmark}.json`;
  if (basename(file) !== expectedName) throw new InputError(singleLine(`${label}: benchmark: the file of benchmark ${parsed.data.benchmark} is named ${expectedName}`));
  return parsed.data;
}

// ---------------------------------------------------------------------------------------------
// Writing: a stable, reviewable JSON text

/** Object keys sorted at every depth (arrays keep their order). */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, sortKeys(v)]),
    );
  }
  return value;
}

function scalar(v: unknown): string {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`export: non-finite number ${v}`);
    return Object.is(v, -0) ? '-0' : JSON.stringify(v);
  }
  return JSON.stringify(v);
}

/** Pretty JSON: objects one key a line, arrays of plain values on one line (histograms, curves stay short). */
export function formatExport(value: unknown, indent = ''): string {
  if (value === null || typeof value !== 'object') return scalar(value);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every((v) => v === null || typeof v !== 'object')) return `[${value.map(scalar).join(', ')}]`;
    return `[\n${value.map((v) => inner + formatExport(v, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${formatExport(v, inner)}`).join(',\n')}\n${indent}}`;
}

const byString = <T>(key: (x: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

export interface ExportReport {
  readonly benchmark: string;
  readonly file: string;
  readonly cells: number;
  readonly results: number;
  readonly runs: number;
}

/**
 * Writes every done cell of the database at `db` into `<outDir>/<benchmark>.json`, one file per
 * benchmark (only `benchmarks` when given). Failed cells are not exported (they hold no results).
 * Each file is checked exactly as import checks it before it replaces the old one.
 */
export function exportStore(db: string, outDir: string, options: { benchmarks?: readonly string[] } = {}): ExportReport[] {
  const store = openStore(db, { readonly: true });
  let files: ExportFile[];
  try {
    const q = store.db;
    const cells = q.select().from(schema.cells).where(eq(schema.cells.status, 'done')).orderBy(asc(schema.cells.id)).all();
    const results = q.select().from(schema.results).all();
    const diags = new Map(q.select().from(schema.diagnostics).all().map((d) => [d.cellId, d] as const));
    const runs = new Map(q.select().from(schema.runs).all().map((r) => [r.id, r] as const));
    const records = new Map(q.select().from(schema.benchmarks).all().map((b) => [b.id, b] as const));
    const resultsByCell = new Map<string, (typeof results)[number][]>();
    for (const r of results) resultsByCell.set(r.cellId, [...(resultsByCell.get(r.cellId) ?? []), r]);

    const ids = new Set(cells.map((c) => c.benchmark));
    if (options.benchmarks) {
      for (const b of options.benchmarks) if (!ids.has(b)) throw new InputError(`--benchmark ${b}: ${db} has no done cell of it (it has: ${[...ids].sort().join(', ') || 'none'})`);
    }
    const wanted = [...ids].filter((b) => !options.benchmarks || options.benchmarks.includes(b)).sort();
    files = wanted.map((benchmark) => {
      const fileRuns = new Map<string, ExportRun>();
      const fileCells: ExportCell[] = [];
      for (const c of cells) {
        if (c.benchmark !== benchmark) continue;
        const run = runs.get(c.runId)!;
        const runFields = { command: run.command, gitCommit: run.gitCommit, harnessVersion: run.harnessVersion, backend: run.backend, machine: run.machine, shard: run.shard, startedAt: run.startedAt };
        const key = runKeyOf(runFields);
        const seen = fileRuns.get(key);
        const endedAt = seen?.endedAt && run.endedAt ? (seen.endedAt > run.endedAt ? seen.endedAt : run.endedAt) : (seen?.endedAt ?? run.endedAt);
        fileRuns.set(key, { key, ...runFields, endedAt });
        const byKey = new Map<string, (typeof results)[number][]>();
        for (const r of resultsByCell.get(c.id) ?? []) byKey.set(r.scorerKey, [...(byKey.get(r.scorerKey) ?? []), r]);
        const scorings = [...byKey.entries()].sort(byString(([k]) => k)).map(([scorerKey, rows]) => {
          const first = rows[0]!;
          return {
            scorer: first.scorer,
            scorerKey,
            settings: sortKeys(first.scorerSettings) as Record<string, z.core.util.JSONType>,
            code: first.scorerCode,
            configKey: first.configKey,
            isDefault: first.isDefault,
            results: rows.sort(byString((r) => r.ood)).map((r) => ({ ood: r.ood, fpr95: r.fpr95, auroc: r.auroc, auprIn: r.auprIn, auprOut: r.auprOut, idAcc: r.idAcc })),
          };
        });
        const d = diags.get(c.id);
        const config = c.config;
        fileCells.push({
          id: c.id,
          run: key,
          status: 'done',
          startedAt: c.startedAt,
          endedAt: c.endedAt,
          seconds: c.seconds,
          ...(c.error !== null ? { error: c.error } : {}),
          config: {
            benchmark: config.benchmark,
            dataFingerprint: config.dataFingerprint,
            modalities: [...config.modalities],
            recipe: config.recipe,
            training: sortKeys(config.training) as Record<string, z.core.util.JSONType>,
            seed: config.seed,
            split: config.split,
            backend: config.backend,
            trainingCode: config.trainingCode,
            defaultTraining: config.defaultTraining,
            scorers: config.scorers.map((s) => ({ id: s.id, key: s.key, settings: sortKeys(s.settings) as Record<string, z.core.util.JSONType>, code: s.code, isDefault: s.isDefault })),
            // anything else the config holds is kept, so that the schema refuses it by name rather than losing it
            ...Object.fromEntries(Object.entries(config).filter(([k]) => !CONFIG_KEYS.has(k))),
          },
          scorings,
          diagnostics: d
            ? ({
                lId: d.lId,
                lOod: sortKeys(d.lOod),
                curve: sortKeys(d.curve),
                bestEpoch: d.bestEpoch,
                histograms: sortKeys(d.histograms),
                skipped: sortKeys(d.skipped),
              } as ExportCell['diagnostics'])
            : null,
        });
      }
      const rec = records.get(benchmark);
      return {
        format: EXPORT_FORMAT,
        version: EXPORT_VERSION,
        benchmark,
        record: rec ? { origin: rec.origin, declaration: sortKeys(rec.declaration) as Record<string, z.core.util.JSONType>, updatedAt: rec.updatedAt } : null,
        runs: [...fileRuns.values()].sort(byString((r) => r.key)),
        cells: fileCells,
      } as ExportFile;
    });
  } finally {
    store.close();
  }
  // every file is checked exactly as import checks it before any is written: a database the
  // format cannot carry fails here, naming the field, and leaves the folder as it was
  const texts = files.map((f) => {
    const path = join(outDir, `${f.benchmark}.json`);
    const text = `${formatExport(f)}\n`;
    parseExport(path, text, `${db}: cannot export ${f.benchmark}`);
    return { f, path, text };
  });
  mkdirSync(outDir, { recursive: true });
  return texts.map(({ f, path, text }) => {
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, text);
    renameSync(tmp, path);
    return { benchmark: f.benchmark, file: path, cells: f.cells.length, results: f.cells.reduce((n, c) => n + c.scorings.reduce((m, s) => m + s.results.length, 0), 0), runs: f.runs.length };
  });
}

const CONFIG_KEYS = new Set(['benchmark', 'dataFingerprint', 'modalities', 'recipe', 'training', 'seed', 'split', 'backend', 'trainingCode', 'defaultTraining', 'scorers']);

// ---------------------------------------------------------------------------------------------
// Reading: folders of export files into a database

/** The export files under `paths` (files, or folders searched for `*.json`), in a stable order. */
export function exportFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > MAX_DEPTH) throw new InputError(`${dir}: folders nested deeper than ${MAX_DEPTH} levels`);
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p, depth + 1);
      else if (name.endsWith('.json')) out.push(p);
    }
  };
  for (const p of paths) {
    let st;
    try {
      st = lstatSync(p);
    } catch {
      throw new InputError(`${p}: no such file or folder of results exports`);
    }
    if (st.isDirectory()) walk(p, 0);
    else out.push(p);
  }
  if (out.length === 0) throw new InputError(`${paths.join(', ')}: no export files (<benchmark>.json) found`);
  return [...new Set(out)];
}

/** Reads and checks one export file (a regular file of bounded size; symlinks are refused unread). */
export function readExport(path: string): ExportFile {
  let text: string;
  try {
    text = readRegularFile(path, maxExportBytes());
  } catch (e) {
    if (e instanceof SubmissionFileError) throw new InputError(`${path}: (file): ${e.message}`);
    throw e;
  }
  return parseExport(path, text);
}

/** What merge compares: a cell's metrics in a canonical order (mergeStores' notion of "same results"). */
function metricsFingerprint(rows: readonly { scorer: string; ood: string; fpr95: number; auroc: number; auprIn: number; auprOut: number; idAcc: number }[]): string {
  return JSON.stringify(rows.map((r) => [r.scorer, r.ood, r.fpr95, r.auroc, r.auprIn, r.auprOut, r.idAcc] as const).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)));
}

const cellMetrics = (c: ExportCell) => metricsFingerprint(c.scorings.flatMap((s) => s.results.map((r) => ({ scorer: s.scorer, ...r }))));

function finishedCell(c: ExportCell): FinishedCell {
  return {
    id: c.id,
    config: c.config as CellConfig,
    status: 'done',
    startedAt: c.startedAt,
    endedAt: c.endedAt,
    seconds: c.seconds,
    ...(c.error != null ? { error: c.error } : {}),
    results: c.scorings.flatMap((s) => s.results.map((r) => ({ scorer: s.scorer, scorerKey: s.scorerKey, ...r }))),
    ...(c.diagnostics ? { diagnostics: c.diagnostics as CellDiagnostics } : {}),
  };
}

export interface ImportReport {
  readonly files: readonly { readonly file: string; readonly benchmark: string; readonly cells: number }[];
  readonly merged: readonly (MergeReport & { readonly file: string })[];
  readonly benchmarksRecorded: number;
}

/**
 * Imports export files (or folders of them) into the database at `out` (created if missing).
 * Everything is read and checked first (schema, identities, conflicts between the files and with
 * what `out` already holds), so a bad file leaves `out` untouched; then each file goes into a
 * temporary database through `writeCell` and is merged with `mergeStores`. With `check`, nothing
 * is written to `out` (it may be absent): the files are imported into a throw-away database.
 */
export function importExports(out: string | null, paths: readonly string[]): ImportReport {
  const files = exportFiles(paths).map((file) => ({ file, data: readExport(file) }));

  // conflicts between the files: the same cell with different results
  const seen = new Map<string, { file: string; metrics: string }>();
  for (const { file, data } of files) {
    for (const c of data.cells) {
      const metrics = cellMetrics(c);
      const first = seen.get(c.id);
      if (first && first.metrics !== metrics) throw new InputError(`${file}: cell ${c.id} conflicts with ${first.file} (same id, different results); nothing was imported`);
      if (!first) seen.set(c.id, { file, metrics });
    }
  }

  const work = mkdtempSync(join(tmpdir(), 'multiood-import-'));
  try {
    const target = out ?? join(work, 'check.sqlite');
    // conflicts with what the target already holds
    const store = openStore(target);
    try {
      const ids = [...seen.keys()];
      for (let i = 0; i < ids.length; i += 500) {
        const chunk = ids.slice(i, i + 500);
        const doneIds = store.db.select({ id: schema.cells.id }).from(schema.cells).where(and(inArray(schema.cells.id, chunk), eq(schema.cells.status, 'done'))).all();
        const rows = store.db.select().from(schema.results).where(inArray(schema.results.cellId, chunk)).all();
        for (const { id } of doneIds) {
          const theirs = metricsFingerprint(rows.filter((r) => r.cellId === id));
          const ours = seen.get(id)!;
          if (theirs !== ours.metrics) throw new InputError(`${ours.file}: cell ${id} conflicts with the copy already in ${target} (same id, different results); nothing was imported`);
        }
      }
    } finally {
      store.close();
    }

    // each file into its own database through the store's writer, then the store's merge
    const temps = files.map(({ file, data }, i) => {
      const path = join(work, `${i}.sqlite`);
      const s = openStore(path);
      try {
        const runIds = new Map<string, number>();
        for (const r of data.runs) {
          const runId = s.beginRun({ command: r.command, gitCommit: r.gitCommit, harnessVersion: r.harnessVersion, backend: r.backend, machine: r.machine, shard: r.shard, startedAt: r.startedAt });
          if (r.endedAt !== null) s.db.update(schema.runs).set({ endedAt: r.endedAt }).where(eq(schema.runs.id, runId)).run();
          runIds.set(r.key, runId);
        }
        for (const c of data.cells) s.commitCell(runIds.get(c.run)!, finishedCell(c));
      } finally {
        s.close();
      }
      return { file, path };
    });
    let merged: ImportReport['merged'];
    try {
      merged = mergeStores(target, temps.map((t) => t.path)).map((r, i) => ({ ...r, input: temps[i]!.file, file: temps[i]!.file }));
    } catch (e) {
      // name the export file, not the temporary database it went through
      if (e instanceof InputError) throw new InputError(temps.reduce((m, t) => m.replaceAll(t.path, t.file), e.message));
      throw e;
    }

    // the benchmarks' records: the latest recorded declaration of each wins, as when runs record them
    let benchmarksRecorded = 0;
    const s = openStore(target);
    try {
      s.db.transaction((tx) => {
        for (const { data } of files) {
          const r = data.record;
          if (!r) continue;
          const existing = tx.select().from(schema.benchmarks).where(eq(schema.benchmarks.id, data.benchmark)).get();
          if (existing && existing.updatedAt >= r.updatedAt) continue;
          const row = { origin: r.origin, declaration: r.declaration as Record<string, unknown>, updatedAt: r.updatedAt };
          tx.insert(schema.benchmarks).values({ id: data.benchmark, ...row }).onConflictDoUpdate({ target: schema.benchmarks.id, set: row }).run();
          benchmarksRecorded++;
        }
      });
    } finally {
      s.close();
    }
    return { files: files.map(({ file, data }) => ({ file, benchmark: data.benchmark, cells: data.cells.length })), merged, benchmarksRecorded };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
