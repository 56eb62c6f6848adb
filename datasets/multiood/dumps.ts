import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FloatArray, FloatMatrix } from '../../methods/linalg/matrix.ts';
import type { FusedHead, ModalitySlice, ModelOutputs, SplitOutputs } from '../../methods/outputs.ts';
import { readNpyFloatMatrix, readNpyLabels } from '../io/npy.ts';
import { type MultioodDataset, type Setting } from './benchmarks.ts';

/**
 * The upstream "saved_files" layout (docs/multiood-facts.md §4):
 *   near:      id_<DS>_near_ood_<kind>_<appen><split>.npy        split in train|val|test|eval
 *   far, ID:   id_<DS>_<kind>_<appen><split>.npy                 split in train|val|test
 *   far, OOD:  id_<DS>_ood_<OOD>_<kind>_<appen>eval.npy
 */
export type DumpKind = 'output' | 'pred' | 'conf' | 'label' | 'feature';
export type DumpSplit = 'train' | 'val' | 'test' | 'eval';

export interface DumpLocation {
  readonly dir: string;
  readonly dataset: MultioodDataset;
  readonly setting: Setting;
  /** Free prefix before the split name, e.g. 'a2d_npmix_best_'. */
  readonly appen: string;
}

export function dumpFileName(loc: DumpLocation, kind: DumpKind, split: DumpSplit, oodName?: string): string {
  if (loc.setting === 'near') return `id_${loc.dataset}_near_ood_${kind}_${loc.appen}${split}.npy`;
  if (split === 'eval') {
    if (!oodName) throw new Error('dumpFileName: a Far-OOD eval file needs the OOD dataset name');
    return `id_${loc.dataset}_ood_${oodName}_${kind}_${loc.appen}eval.npy`;
  }
  return `id_${loc.dataset}_${kind}_${loc.appen}${split}.npy`;
}

export class DumpError extends Error {
  override readonly name = 'DumpError';
}

function assertFinite(values: FloatArray, file: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) throw new DumpError(`${file}: value ${i} is ${values[i]}, expected finite numbers only`);
  }
}

/** Logits and features as the dump stores them (float32 upstream: no float64 copy). */
async function readMatrixFile(path: string): Promise<FloatMatrix> {
  if (!existsSync(path)) throw new DumpError(`${path}: file not found`);
  const m = await readNpyFloatMatrix(path);
  assertFinite(m.data, path);
  return m;
}

async function readLabelsFile(path: string): Promise<Int32Array> {
  if (!existsSync(path)) throw new DumpError(`${path}: file not found`);
  return readNpyLabels(path);
}

async function readSplit(loc: DumpLocation, split: DumpSplit, head: FusedHead, withLabels: boolean, oodName?: string): Promise<SplitOutputs> {
  const path = (kind: DumpKind) => join(loc.dir, dumpFileName(loc, kind, split, oodName));
  const logits = await readMatrixFile(path('output'));
  const features = await readMatrixFile(path('feature'));
  const c = head.weight.rows;
  const d = head.weight.cols;
  if (logits.cols !== c) throw new DumpError(`${path('output')}: ${logits.cols} classes, but the fused head has ${c}`);
  if (features.cols !== d) throw new DumpError(`${path('feature')}: ${features.cols} feature columns, but the fused head expects ${d}`);
  if (features.rows !== logits.rows) throw new DumpError(`${path('feature')}: ${features.rows} rows, but ${path('output')} has ${logits.rows}`);
  if (!withLabels) return { logits, features };
  const labels = await readLabelsFile(path('label'));
  if (labels.length !== logits.rows) throw new DumpError(`${path('label')}: ${labels.length} labels for ${logits.rows} rows of ${path('output')}`);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i]! < 0 || labels[i]! >= c) throw new DumpError(`${path('label')}: label ${labels[i]} at row ${i}, expected 0..${c - 1}`);
  }
  return { logits, features, labels };
}

export interface LoadDumpsOptions extends DumpLocation {
  readonly head: FusedHead;
  readonly modalities: readonly ModalitySlice[];
  /** OOD sets to load: ['near'] for Near-OOD, else Far-OOD dataset names. */
  readonly oodNames: readonly string[];
  readonly needTrain: boolean;
  readonly needVal: boolean;
}

/** Reads upstream dumps into Outputs, checking every shape against the fused head. */
export async function loadUpstreamDumps(o: LoadDumpsOptions): Promise<ModelOutputs> {
  const numClasses = o.head.weight.rows;
  const ood = new Map<string, SplitOutputs>();
  for (const name of o.oodNames) {
    ood.set(name, await readSplit(o, 'eval', o.head, false, o.setting === 'near' ? undefined : name));
  }
  return {
    numClasses,
    modalities: o.modalities,
    head: o.head,
    id: {
      test: await readSplit(o, 'test', o.head, true),
      ...(o.needTrain ? { train: await readSplit(o, 'train', o.head, true) } : {}),
      ...(o.needVal ? { val: await readSplit(o, 'val', o.head, true) } : {}),
    },
    ood,
  };
}
