import { tableStyle } from '../report/table-style.ts';
import { Command } from 'commander';
import Table from 'cli-table3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Benchmark, TrainingDefaults } from '../../datasets/benchmark.ts';
import { TRAINING_CONSTANTS } from '../../methods/training/defaults.ts';
import { resolveDataDir } from '../../datasets/data-dir.ts';
import { MANIFEST_FILE, oodSplitKey, readManifest, type FeatureManifest } from '../../datasets/feature-folder/feature-folder.ts';
import { fetchUtdMhad, UTD_MHAD_ID } from '../../datasets/fetch/utd-mhad.ts';
import { checkFeatureFolderAgainstSplitLists } from '../../datasets/multiood/check.ts';
import { MULTIOOD_DEFINITIONS, multioodDefinitionById, type MultioodDefinition } from '../../datasets/multiood/definitions.ts';
import { generatedShapeOf, writeGeneratedFolder } from '../../datasets/synthetic/generated-folder.ts';
import { featureFolderHint, featureFolderPath, featureFolderSpec } from '../../datasets/multiood/feature-benchmark.ts';
import { BENCHMARKS, benchmarkCatalog, findBenchmark } from '../../datasets/registry.ts';
import { asInputError, asInputErrorSync, InputError } from '../errors.ts';

export interface DatasetRow {
  readonly id: string;
  readonly title: string;
  readonly origin: Benchmark['origin'];
  readonly generatedData: boolean;
  readonly setting: 'near' | 'far';
  readonly modalities: readonly { readonly name: string; readonly dim: number }[];
  readonly modalitySets: readonly (readonly string[])[];
  readonly idClasses: number;
  /** Official split sizes, where the definition knows them. */
  readonly sizes?: { readonly train: number; readonly val: number; readonly test: number; readonly ood: Readonly<Record<string, number>> };
  readonly available: boolean;
  readonly hint?: string;
}

export function datasetRow(b: Benchmark, dataDir?: string): DatasetRow {
  const def = multioodDefinitionById(b.id);
  const availability = b.availability(dataDir);
  return {
    id: b.id,
    title: b.title,
    origin: b.origin,
    generatedData: b.generatedData === true,
    setting: b.setting,
    modalities: b.modalities.map(({ name, dim }) => ({ name, dim })),
    modalitySets: b.modalitySets,
    idClasses: b.classNames.length,
    ...(def ? { sizes: { ...def.sizes, ood: Object.fromEntries(def.oodSets.map((o) => [o.name, o.size])) } } : {}),
    available: availability.available,
    ...(availability.hint ? { hint: availability.hint } : {}),
  };
}

const setName = (set: readonly string[]) => set.map((m) => m[0]!.toUpperCase()).join('+');

interface SourceFlags {
  dataDir?: string;
  benchmarkDir?: string[];
}

const sourcesOf = (flags: SourceFlags) => ({ ...(flags.dataDir ? { dataDir: flags.dataDir } : {}), benchmarkDirs: flags.benchmarkDir ?? [] });

function listDatasets(flags: { json?: boolean } & SourceFlags): void {
  const catalog = benchmarkCatalog(sourcesOf(flags));
  const rows = catalog.benchmarks.map((b) => datasetRow(b, flags.dataDir));
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  const table = new Table({ head: ['id', 'data', 'setting', 'modalities', 'sets', 'ID classes', 'train/val/test', 'OOD', 'here'], ...tableStyle() });
  for (const r of rows) {
    table.push([
      r.id,
      `${ORIGIN_WORDS[r.origin]}${r.generatedData && r.origin !== 'generated' ? ' (generated data)' : ''}`,
      r.setting,
      r.modalities.map((m) => `${m.name} ${m.dim}`).join(', '),
      r.modalitySets.map(setName).join(', '),
      r.idClasses,
      r.sizes ? `${r.sizes.train}/${r.sizes.val}/${r.sizes.test}` : '-',
      r.sizes ? Object.entries(r.sizes.ood).map(([n, s]) => `${n} ${s}`).join(', ') : '-',
      r.available ? 'yes' : 'no',
    ]);
  }
  process.stdout.write(`${table.toString()}\n`);
  const missing = rows.filter((r) => !r.available && r.hint);
  if (missing.length) process.stdout.write(`\nNot here (data folder ${resolveDataDir(flags.dataDir)}):\n${missing.map((r) => `  ${r.id}: ${r.hint}`).join('\n')}\n`);
  if (catalog.problems.length) process.stdout.write(`\nDeclared benchmarks that cannot be used:\n${catalog.problems.map((p) => `  ${p}`).join('\n')}\n`);
}

/** How `datasets list` and `info` name a benchmark's origin. */
const ORIGIN_WORDS: Record<Benchmark['origin'], string> = {
  generated: 'generated',
  multiood: 'MultiOOD (your features)',
  dataset: 'public dataset',
  user: 'user-provided',
};

interface DatasetInfo extends DatasetRow {
  readonly description?: string;
  readonly extrapolated?: readonly string[];
  /** class partitions: the ID and OOD classes of each dataset split */
  readonly partitions?: readonly { readonly id: readonly string[]; readonly ood: readonly string[] }[];
  readonly fitSplit: 'train' | 'val';
  readonly training: Benchmark['training'];
  readonly classNames?: readonly string[];
  readonly multiood?: {
    readonly dataset: string;
    readonly oodClasses?: number;
    readonly excludedClasses?: readonly string[];
    readonly oodSets: readonly { readonly name: string; readonly title: string; readonly size: number; readonly splitKey: string; readonly lists: readonly string[] }[];
    readonly splitLists: Readonly<Record<'train' | 'val' | 'test', readonly string[]>>;
    readonly trainingByModalitySet?: MultioodDefinition['trainingByModalitySet'];
    readonly extrapolated?: readonly string[];
    readonly featureFolder: string;
    readonly manifest?: FeatureManifest;
    readonly manifestError?: string;
  };
}

async function datasetInfo(b: Benchmark, dataDir?: string): Promise<DatasetInfo> {
  const def = multioodDefinitionById(b.id);
  const row = datasetRow(b, dataDir);
  const generic = !b.classNames.every((n, i) => n === `class ${i}`);
  const base = {
    ...row,
    ...(b.description ? { description: b.description } : {}),
    fitSplit: b.fitSplit,
    training: b.training,
    ...(generic ? { classNames: b.classNames } : {}),
    ...(b.extrapolated ? { extrapolated: b.extrapolated } : {}),
    ...(b.partitions && b.partition ? { partitions: Array.from({ length: b.partitions.count }, (_, k) => b.partition!(k)) } : {}),
  };
  if (!def) return base;
  const folder = featureFolderPath(def, dataDir);
  let manifest: FeatureManifest | undefined;
  let manifestError: string | undefined;
  if (existsSync(join(folder, MANIFEST_FILE))) {
    try {
      manifest = await readManifest(folder, featureFolderSpec(def));
    } catch (e) {
      manifestError = e instanceof Error ? e.message : String(e);
    }
  }
  return {
    ...base,
    multiood: {
      dataset: def.dataset,
      ...(def.oodClasses !== undefined ? { oodClasses: def.oodClasses } : {}),
      ...(def.excludedClasses ? { excludedClasses: def.excludedClasses } : {}),
      oodSets: def.oodSets.map((o) => ({ name: o.name, title: o.title, size: o.size, splitKey: oodSplitKey(o.name), lists: o.lists.map((l) => l.file) })),
      splitLists: { train: def.splitLists.train.map((l) => l.file), val: def.splitLists.val.map((l) => l.file), test: def.splitLists.test.map((l) => l.file) },
      ...(def.trainingByModalitySet ? { trainingByModalitySet: def.trainingByModalitySet } : {}),
      ...(def.extrapolated ? { extrapolated: def.extrapolated } : {}),
      featureFolder: folder,
      ...(manifest ? { manifest } : {}),
      ...(manifestError ? { manifestError } : {}),
    },
  };
}

/** The encoder as a reader needs it: what trains below the heads. */
function encoderWords(t: TrainingDefaults): string {
  const k = { ...TRAINING_CONSTANTS, ...t };
  if (t.encoder === 'adapter') return `adapter (rank ${k.rank}, identity at the start, trained with the heads)`;
  if (t.encoder === 'mlp') return `mlp (width ${k.hidden})`;
  return 'identity (heads only: A2D and NP-Mix cannot change the fused head)';
}

async function generateDataset(id: string, flags: { out?: string; scale: string; seed: string; dataDir?: string }): Promise<void> {
  const def = multioodDefinitionById(id);
  if (!def) throw new InputError(`${id}: not a MultiOOD benchmark; generated folders exist for ${MULTIOOD_DEFINITIONS.map((d) => d.id).join(', ')}`);
  const scale = Number(flags.scale);
  if (!(scale > 0 && scale <= 4)) throw new InputError(`--scale ${flags.scale}: expected a number in (0, 4]`);
  const seed = Number(flags.seed);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new InputError(`--seed ${flags.seed}: expected a non-negative integer`);
  const dir = flags.out ?? featureFolderPath(def, flags.dataDir);
  if (existsSync(join(dir, MANIFEST_FILE))) throw new InputError(`${join(dir, MANIFEST_FILE)}: a feature folder is already there; remove it or choose --out`);
  const started = performance.now();
  const manifest = await writeGeneratedFolder(dir, generatedShapeOf(def, { scale, seed }));
  process.stdout.write(`wrote a generated ${id}-shaped folder to ${dir} (${Object.entries(manifest.splits).map(([k, n]) => `${k} ${n}`).join(', ')}) in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}

function renderInfo(i: DatasetInfo): string {
  const t = i.training;
  const trainingLine = (x: typeof t) =>
    `epochs baseline ${x.epochs.baseline}, A2D ${x.epochs.a2d}, A2D+NP-Mix ${x.epochs.a2dNpmix}; A2D weight ${x.a2dWeight}; NP-Mix weights ${x.npmix.a2d}/${x.npmix.ood}/${x.npmix.ent} from epoch ${x.npmix.startEpoch}; encoder ${encoderWords(x)}${x.noDropout?.length ? `; no dropout on ${x.noDropout.join(', ')}` : ''}`;
  const lines = [
    `${i.id}: ${i.title}`,
    `  data           ${ORIGIN_WORDS[i.origin]}${i.generatedData && i.origin !== 'generated' ? ' (generated data)' : ''}${i.description ? `: ${i.description}` : ''}`,
    `  setting        ${i.setting}`,
    `  modalities     ${i.modalities.map((m) => `${m.name} ${m.dim}`).join(', ')}`,
    `  modality sets  ${i.modalitySets.map((s) => s.join('+')).join(', ')} (first is the default)`,
    `  ID classes     ${i.idClasses}${i.classNames ? ` (${i.classNames.join(', ')})` : ''}`,
    `  fit split      ${i.fitSplit} (KNN, Mahalanobis, ViM)`,
    `  training       ${trainingLine(t)}`,
    ...(i.partitions ?? []).map((p, k) => `  split ${k}        ID ${p.id.join(', ')} | OOD ${p.ood.join(', ')}`),
    ...(!i.multiood ? (i.extrapolated ?? []).map((x) => `  extrapolated   ${x}`) : []),
  ];
  const m = i.multiood;
  if (m) {
    if (m.oodClasses !== undefined) lines.push(`  OOD classes    ${m.oodClasses}`);
    if (m.excludedClasses) lines.push(`  excluded       ${m.excludedClasses.join(', ')} (overlap with the OOD sets)`);
    if (i.sizes) lines.push(`  ID splits      train ${i.sizes.train}, val ${i.sizes.val}, test ${i.sizes.test} (${m.splitLists.train.join('+')}, ${m.splitLists.val.join('+')}, ${m.splitLists.test.join('+')})`);
    for (const o of m.oodSets) lines.push(`  OOD ${o.name.padEnd(10)} ${o.size} clips, ${o.title}; folder split "${o.splitKey}"; lists ${o.lists.join(', ')}`);
    for (const x of m.trainingByModalitySet ?? []) lines.push(`  training (${x.modalities.join('+')}) ${trainingLine(x.training)}`);
    for (const x of m.extrapolated ?? []) lines.push(`  extrapolated   ${x}`);
    lines.push(`  feature folder ${m.featureFolder}`);
    if (m.manifest) {
      lines.push(`  present        backbone ${JSON.stringify(m.manifest.backbone)}, created ${m.manifest.created}, ${m.manifest.modalities.map((x) => `${x.name} ${x.dim}`).join(', ')}`);
      lines.push(`                 ${Object.entries(m.manifest.splits).map(([k, n]) => `${k} ${n}`).join(', ')}`);
    } else if (m.manifestError) {
      lines.push(`  present        but unusable: ${m.manifestError}`);
    } else {
      lines.push(`  present        no: ${i.hint ?? ''}`);
      lines.push(
        '  layout         manifest.json {benchmark, modalities:[{name,dim}], splits:{split: rows}, backbone, created, classNames?};',
        `                 <split>.<modality>.npy (float32/float64, rows x dim) and <split>.labels.npy (int64) for train, val, test;`,
        `                 OOD: ${m.oodSets.map((o) => o.splitKey).join(', ')} (features only). See datasets/feature-folder/README.md.`,
      );
    }
  } else {
    lines.push(`  available      ${i.available ? 'yes' : `no: ${i.hint ?? ''}`}`);
  }
  return lines.join('\n');
}

function requireBenchmark(id: string, flags: SourceFlags = {}): Benchmark {
  const b = asInputErrorSync(() => findBenchmark(id, sourcesOf(flags)));
  if (b) return b;
  const known = benchmarkCatalog(sourcesOf(flags)).benchmarks;
  throw new InputError(`unknown dataset "${id}"; known: ${known.map((x) => x.id).join(', ')}${known.some((x) => x.id === UTD_MHAD_ID) ? '' : `, ${UTD_MHAD_ID} (fetch only)`}`);
}

async function fetchDataset(id: string, flags: { dataDir?: string; baseUrl?: string }): Promise<void> {
  const dataDir = resolveDataDir(flags.dataDir);
  if (id === UTD_MHAD_ID) {
    const started = performance.now();
    const r = await asInputError(() => fetchUtdMhad({ dataDir, ...(flags.baseUrl ? { baseUrl: flags.baseUrl } : {}), onProgress: (line) => process.stderr.write(`  ${line}\n`) }));
    if (r.skipped.length) process.stderr.write(`  ${r.skipped.length} archive entries not in the manifest were not extracted (first: ${r.skipped[0]})\n`);
    process.stdout.write(`${id}: ${r.files} files (${(r.bytes / 1e6).toFixed(1)} MB) verified and installed in ${r.target} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
    return;
  }
  const b = requireBenchmark(id);
  const def = multioodDefinitionById(id);
  if (def) {
    throw new InputError(`${id} cannot be downloaded: MultiOOD's videos are not redistributable here; ${featureFolderHint(def, flags.dataDir)}`);
  }
  const a = b.availability(flags.dataDir);
  if (a.available) {
    process.stdout.write(`${id}: nothing to fetch, it is available here\n`);
    return;
  }
  throw new InputError(`${id} cannot be fetched by the harness${a.hint ? `: ${a.hint}` : ''}`);
}

async function checkDataset(id: string, flags: { splitLists?: string; json?: boolean } & SourceFlags): Promise<void> {
  const def = multioodDefinitionById(id);
  if (!def) {
    const b = requireBenchmark(id, flags);
    if (b.origin === 'user' || b.dataFiles) return checkLoadable(b, flags);
  }
  if (def && !flags.splitLists) throw new InputError(`${id}: --split-lists <dir> is required (your MultiOOD checkout, to compare the folder with its split lists)`);
  if (!def || !flags.splitLists) throw new InputError(`${id}: only the MultiOOD benchmarks have split lists to check against (${BENCHMARKS.filter((b) => multioodDefinitionById(b.id)).map((b) => b.id).join(', ')})`);
  const splitLists = flags.splitLists;
  const report = await asInputError(() => checkFeatureFolderAgainstSplitLists(def, featureFolderPath(def, flags.dataDir), splitLists));
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    const table = new Table({ head: ['split', 'list', 'official', 'folder', 'labels', 'problems'], ...tableStyle() });
    for (const s of report.splits) table.push([s.split, s.listRows, s.officialRows, s.folderRows ?? '-', s.labels ?? '-', s.problems.join('; ') || 'ok']);
    process.stdout.write(`${report.folder} against ${report.splitLists}\n${table.toString()}\n`);
    if (report.classNames.length) process.stdout.write(`class names from the lists: ${report.classNames.join(', ')}\n`);
  }
  if (!report.ok) throw new InputError(`${id}: the feature folder does not match the split lists (${report.splits.filter((s) => s.problems.length).map((s) => s.split).join(', ')})`);
}

/**
 * Checks a benchmark's folder alone (declared benchmarks): every split and modality is read and
 * validated (shape, dtype, NaN/Inf, labels in range), and every ID class must have rows in each
 * ID split. For class partitions, every split k is drawn and checked.
 */
async function checkLoadable(b: Benchmark, flags: { json?: boolean } & SourceFlags): Promise<void> {
  const modalities = b.modalities.map((m) => m.name);
  const report: { split: number; classes: string[]; rows: Record<string, number>; problems: string[] }[] = [];
  for (let k = 0; k < b.splits; k++) {
    const data = await asInputError(() => b.load({ modalities, split: k, ...(flags.dataDir ? { dataDir: flags.dataDir } : {}) }));
    const names = b.partition ? [...b.partition(k).id] : [...b.classNames];
    const problems: string[] = [];
    const rows: Record<string, number> = {};
    for (const [name, s] of [['train', data.train], ['val', data.val], ['test', data.test]] as const) {
      rows[name] = s.labels!.length;
      const counts = new Array<number>(names.length).fill(0);
      for (const y of s.labels!) counts[y]!++;
      const empty = names.filter((_, c) => counts[c] === 0);
      if (empty.length) problems.push(`${name}: no rows of ${empty.join(', ')}`);
    }
    for (const [name, s] of data.ood) rows[`OOD ${name}`] = s.features[modalities[0]!]!.rows;
    report.push({ split: k, classes: names, rows, problems });
  }
  if (flags.json) process.stdout.write(`${JSON.stringify({ benchmark: b.id, ok: report.every((r) => !r.problems.length), splits: report }, null, 2)}\n`);
  else {
    const table = new Table({ head: ['split', 'ID classes', 'rows', 'problems'], ...tableStyle() });
    for (const r of report) table.push([r.split, r.classes.join(', '), Object.entries(r.rows).map(([k, n]) => `${k} ${n}`).join(', '), r.problems.join('; ') || 'ok']);
    process.stdout.write(`${b.id}: every split, modality and label read and checked\n${table.toString()}\n`);
  }
  const bad = report.filter((r) => r.problems.length);
  if (bad.length) throw new InputError(`${b.id}: split ${bad[0]!.split}: ${bad[0]!.problems[0]}`);
}

export function datasetsCommand(): Command {
  const dataDirHelp = 'data folder (default: $MULTIOOD_DATA, else ~/.multiood/data)';
  const command = new Command('datasets').description('List, describe, fetch and check the benchmarks\' data');
  command
    .command('list')
    .description('Every registered benchmark: setting, modalities, classes, split sizes, whether its data is here')
    .option('--data-dir <dir>', dataDirHelp)
    .option('--json', 'print JSON instead of a table')
    .option('--benchmark-dir <dir>', 'a declared benchmark\'s folder; repeatable', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .action((flags: { json?: boolean } & SourceFlags) => listDatasets(flags));
  command
    .command('info')
    .description('Everything the harness knows about one benchmark, and where its data goes')
    .argument('<id>', 'benchmark id (see datasets list)')
    .option('--data-dir <dir>', dataDirHelp)
    .option('--benchmark-dir <dir>', 'a declared benchmark\'s folder; repeatable', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--json', 'print JSON')
    .action(async (id: string, flags: { json?: boolean } & SourceFlags) => {
      const info = await datasetInfo(requireBenchmark(id, flags), flags.dataDir);
      process.stdout.write(flags.json ? `${JSON.stringify(info, null, 2)}\n` : `${renderInfo(info)}\n`);
    });
  command
    .command('fetch')
    .description(`Download a dataset into the data folder, verified file by file (only ${UTD_MHAD_ID} can be downloaded)`)
    .argument('<id>', `dataset id (${UTD_MHAD_ID})`)
    .option('--data-dir <dir>', dataDirHelp)
    .option('--base-url <url>', 'where the archives are (default: $MULTIOOD_UTD_MHAD_URL, else the authors\' page)')
    .action((id: string, flags: { dataDir?: string; baseUrl?: string }) => fetchDataset(id, flags));
  command
    .command('check')
    .description('Check a benchmark\'s data: a declared folder alone (shapes, dtypes, labels, NaN, class coverage), or a MultiOOD feature folder against the upstream split lists of your MultiOOD checkout')
    .argument('<id>', 'benchmark id')
    .option('--split-lists <dir>', 'MultiOOD benchmarks: your MultiOOD checkout (or a folder holding its split-list files)')
    .option('--data-dir <dir>', dataDirHelp)
    .option('--benchmark-dir <dir>', 'a declared benchmark\'s folder; repeatable', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--json', 'print the report as JSON')
    .action((id: string, flags: { splitLists?: string; json?: boolean } & SourceFlags) => checkDataset(id, flags));
  command
    .command('generate')
    .description('Write a generated feature folder of a MultiOOD benchmark\'s exact shape (labelled as generated data) for measuring the harness at scale')
    .argument('<id>', 'MultiOOD benchmark id')
    .option('--out <dir>', 'folder to write (default: <data-dir>/multiood/<id>)')
    .option('--scale <x>', 'split sizes x this factor', '1')
    .option('--seed <n>', 'generator seed', '1')
    .option('--data-dir <dir>', dataDirHelp)
    .action((id: string, flags: { out?: string; scale: string; seed: string; dataDir?: string }) => generateDataset(id, flags));
  // Usage errors of the subcommands exit 2 like every other input error.
  for (const sub of command.commands) sub.exitOverride().showHelpAfterError();
  return command;
}
