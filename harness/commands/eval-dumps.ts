import { Command, Option } from 'commander';
import { existsSync } from 'node:fs';
import { readNpyMatrix, readNpyVector } from '../../datasets/io/npy.ts';
import { setIoLimits } from '../../datasets/io/limits.ts';
import { readLinearHead } from '../../datasets/io/torch-checkpoint.ts';
import { ALL_OOD_NAMES, FAR_OOD_SETS, fitSplitFor, ID_CLASS_COUNT, inferModalityDims, MODALITY_DIMS, MULTIOOD_DATASETS, type MultioodDataset, type Setting } from '../../datasets/multiood/benchmarks.ts';
import { loadUpstreamDumps } from '../../datasets/multiood/dumps.ts';
import type { FusedHead, ModalitySlice } from '../../methods/outputs.ts';
import { asInputError, InputError } from '../errors.ts';
import { evaluateOutputs } from '../evaluate.ts';
import { renderPaperTable } from '../report/paper-table.ts';
import { selectScorers } from '../scorer-selection.ts';

interface EvalDumpsFlags {
  savedFiles: string;
  dataset: MultioodDataset;
  setting: Setting;
  ood?: string;
  appen: string;
  head?: string;
  headNpy?: string;
  dims?: string;
  scorers?: string;
  set: string[];
  json?: boolean;
  maxInflateMb?: string;
  maxTensorMb?: string;
}

/** --max-inflate-mb / --max-tensor-mb raise the reader limits for one run (datasets/io/limits.ts). */
function applyLimits(flags: EvalDumpsFlags): void {
  const mib = (flag: string, value: string | undefined): number | undefined => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new InputError(`${flag} ${value}: expected a positive number of MiB`);
    return n * 1024 * 1024;
  };
  const maxInflatedBytes = mib('--max-inflate-mb', flags.maxInflateMb);
  const maxTensorBytes = mib('--max-tensor-mb', flags.maxTensorMb);
  setIoLimits({ ...(maxInflatedBytes && { maxInflatedBytes }), ...(maxTensorBytes && { maxTensorBytes }) });
}

/** NaN or Inf in the head makes every score NaN: refuse it naming the file and the entry. */
function checkFiniteHead(head: FusedHead, source: string): void {
  const { weight, bias } = head;
  for (let i = 0; i < weight.data.length; i++) {
    const v = weight.data[i]!;
    if (!Number.isFinite(v)) {
      throw new InputError(`${source}: the fused head's weight [${Math.floor(i / weight.cols)}, ${i % weight.cols}] is ${v}; expected finite numbers`);
    }
  }
  for (let i = 0; i < bias.length; i++) {
    if (!Number.isFinite(bias[i]!)) throw new InputError(`${source}: the fused head's bias [${i}] is ${bias[i]}; expected finite numbers`);
  }
}

/** Linear-algebra failures a degenerate but finite head can cause (e.g. a constant weight matrix). */
const NUMERIC_FAILURE = /\b(pinv|eigh|svd|cholesky):|did not converge|singular matrix/i;

async function loadHead(flags: EvalDumpsFlags): Promise<{ head: FusedHead; source: string }> {
  if (flags.head && flags.headNpy) throw new InputError('give either --head or --head-npy, not both');
  if (flags.head) {
    if (!existsSync(flags.head)) throw new InputError(`${flags.head}: checkpoint not found`);
    return { head: await asInputError(() => readLinearHead(flags.head!)), source: flags.head };
  }
  if (flags.headNpy) {
    const [w, b, ...rest] = flags.headNpy.split(',');
    if (!w || !b || rest.length) throw new InputError(`--head-npy ${flags.headNpy}: expected W.npy,b.npy`);
    for (const f of [w, b]) if (!existsSync(f)) throw new InputError(`${f}: file not found`);
    const weight = await asInputError(() => readNpyMatrix(w));
    const bias = await asInputError(() => readNpyVector(b));
    if (bias.length !== weight.rows) throw new InputError(`${b}: ${bias.length} biases for the ${weight.rows} rows of ${w}`);
    return { head: { weight, bias }, source: w };
  }
  throw new InputError('the fused head is required: --head CKPT.pt or --head-npy W.npy,b.npy');
}

function modalitySlices(featureDim: number, dims: string | undefined): ModalitySlice[] {
  let widths: { name: string; dim: number }[];
  if (dims) {
    const values = dims.split(',').map(Number);
    if (values.some((v) => !Number.isInteger(v) || v <= 0)) throw new InputError(`--dims ${dims}: expected positive integers, e.g. 2304,2048`);
    const known = inferModalityDims(featureDim);
    const namesMatch = known && known.length === values.length && known.every((k, i) => k.dim === values[i]);
    widths = values.map((dim, i) => ({ name: namesMatch ? known[i]!.name : `modality${i + 1}`, dim }));
  } else {
    const inferred = inferModalityDims(featureDim);
    if (!inferred) {
      const known = MODALITY_DIMS.map(([n, d]) => `${n} ${d}`).join(', ');
      throw new InputError(`feature width ${featureDim} is no combination of ${known}: give the modality widths with --dims`);
    }
    widths = inferred;
  }
  const total = widths.reduce((s, w) => s + w.dim, 0);
  if (total !== featureDim) throw new InputError(`--dims ${dims}: widths sum to ${total}, but the fused head takes ${featureDim} input columns`);
  let start = 0;
  return widths.map((w) => ({ name: w.name, start, end: (start += w.dim) }));
}

function oodSetsFor(flags: EvalDumpsFlags): string[] {
  if (flags.setting === 'near') {
    if (flags.ood) throw new InputError('--ood applies to --setting far only (Near-OOD has one OOD set)');
    return ['near'];
  }
  const defaults = FAR_OOD_SETS[flags.dataset];
  if (!defaults) throw new InputError(`--dataset ${flags.dataset}: Far-OOD exists only with HMDB or Kinetics as ID`);
  if (!flags.ood) return [...defaults];
  const names = flags.ood.split(',').map((s) => s.trim());
  for (const n of names) {
    if (!(ALL_OOD_NAMES as readonly string[]).includes(n)) throw new InputError(`--ood ${n}: expected one of ${ALL_OOD_NAMES.join(', ')}`);
    if (n === flags.dataset) throw new InputError(`--ood ${n}: the ID dataset cannot be its own OOD set`);
  }
  return names;
}

export async function evalDumps(flags: EvalDumpsFlags): Promise<void> {
  const runs = selectScorers(flags.scorers, flags.set);
  const oodNames = oodSetsFor(flags);
  applyLimits(flags);
  const { head, source } = await loadHead(flags);
  checkFiniteHead(head, source);
  const expectedClasses = ID_CLASS_COUNT[flags.setting][flags.dataset];
  if (expectedClasses === undefined) throw new InputError(`--dataset ${flags.dataset} has no ${flags.setting}-OOD benchmark`);
  if (head.weight.rows !== expectedClasses) {
    throw new InputError(`${source}: the fused head has ${head.weight.rows} classes, ${flags.dataset} ${flags.setting}-OOD has ${expectedClasses}`);
  }
  const fitSplit = fitSplitFor(flags.dataset);
  const outputs = await asInputError(() =>
    loadUpstreamDumps({
      dir: flags.savedFiles,
      dataset: flags.dataset,
      setting: flags.setting,
      appen: flags.appen,
      head,
      modalities: modalitySlices(head.weight.cols, flags.dims),
      oodNames,
      needTrain: fitSplit === 'train' && runs.some((r) => r.scorer.usesFitFeatures),
      needVal: runs.some((r) => r.scorer.usesValFeatures || (fitSplit === 'val' && r.scorer.usesFitFeatures)),
    }),
  );
  let results: ReturnType<typeof evaluateOutputs>;
  try {
    results = evaluateOutputs(outputs, runs, {
      fitSplit,
      onScorerDone: flags.json ? undefined : (id, s) => process.stderr.write(`  ${id} done in ${s.toFixed(1)} s\n`),
    });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (e instanceof InputError || !NUMERIC_FAILURE.test(message)) throw e;
    throw new InputError(
      `${source}: a scorer failed on this fused head: ${message.split('\n')[0]}; expected a trained, non-degenerate head (a constant weight matrix has no usable principal space)`,
    );
  }
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(results)}\n`);
  } else {
    const title = `${flags.dataset} ${flags.setting === 'near' ? 'Near' : 'Far'}-OOD${flags.appen ? ` (${flags.appen})` : ''}, x100`;
    process.stdout.write(`${renderPaperTable(results, title)}\n`);
  }
}

export function evalDumpsCommand(): Command {
  return new Command('eval-dumps')
    .description('Evaluate upstream MultiOOD dumps (saved_files/*.npy) and the fused head with every scorer')
    .requiredOption('--saved-files <dir>', 'folder with the upstream .npy dumps')
    .addOption(new Option('--dataset <name>', 'ID dataset').choices(MULTIOOD_DATASETS).makeOptionMandatory())
    .addOption(new Option('--setting <setting>', 'Near-OOD or Far-OOD').choices(['near', 'far']).makeOptionMandatory())
    .option('--ood <names>', 'Far-OOD sets, comma-separated (default: the paper\'s four)')
    .option('--appen <prefix>', 'file-name prefix before the split, e.g. a2d_npmix_best_', '')
    .option('--head <ckpt>', 'training checkpoint (torch.save) holding mlp_cls_state_dict.enc_net.{weight,bias}')
    .option('--head-npy <files>', 'the fused head as W.npy,b.npy instead of a checkpoint')
    .option('--dims <widths>', 'modality widths in feature order, e.g. 2304,2048 (default: inferred)')
    .option('--scorers <ids>', 'comma-separated scorer ids (default: all nine)')
    .option('--set <scorer.key=value>', 'override a scorer setting, repeatable (e.g. knn.k=50)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--json', 'print one JSON array of results (fractions) instead of the table')
    .option('--max-inflate-mb <n>', 'largest deflated checkpoint entry to inflate, MiB (default 512; env MULTIOOD_MAX_INFLATE_MB)')
    .option('--max-tensor-mb <n>', 'largest stride-expanded tensor to materialize, MiB (default 512; env MULTIOOD_MAX_TENSOR_MB)')
    .action((flags: EvalDumpsFlags) => evalDumps(flags));
}
