import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ENCODER_KINDS, type EncoderKind } from '../../methods/training/model.ts';
import { FeatureManifestSchema } from '../feature-folder/feature-folder.ts';

/**
 * A benchmark declared by data: a folder holding `benchmark.json` (this schema) and the arrays
 * in the feature-folder layout (`<split>.<modality>.npy`, `<split>.labels.npy`). Nothing in the
 * harness needs to change for it: `datasets list/info/check`, `run`, `show`, the API and the
 * site take it like the built-in benchmarks, labelled as user-provided data.
 *
 * Two kinds:
 * - fixed: `classNames` are the ID classes (labels 0..C-1 in train/val/test), and `oodSets`
 *   name the OOD sets, each a split `ood` (Near-OOD, the one set named "near") or `ood-<name>`;
 * - partitions: every class is labelled in train, val and test (`classNames` lists them all);
 *   dataset split k draws `partitions.idClasses` of them as ID with a seeded shuffle, and the
 *   test rows of the others are the Near-OOD set (as the MultiOOD paper's random HMDB51
 *   partitions, Fig. 13).
 */

export const DECLARATION_FILE = 'benchmark.json';

const name = z.string().regex(/^[a-z][a-z0-9_-]{0,39}$/, 'expected a lower-case name (letters, digits, - and _), e.g. watch');
const rows = z.number().int().nonnegative().max(100_000_000);
const positive = z.number().int().positive();

/** Training defaults a declaration may set (the rest come from the harness's defaults). */
const TrainingDeclaration = z
  .object({
    epochs: z.object({ baseline: positive.max(100_000), a2d: positive.max(100_000), a2dNpmix: positive.max(100_000) }).strict(),
    a2dWeight: z.number().min(0).max(1e6),
    npmix: z.object({ a2d: z.number().min(0).max(1e6), ood: z.number().min(0).max(1e6), ent: z.number().min(0).max(1e6), startEpoch: z.number().int().min(0).max(100_000) }).strict(),
    encoder: z.enum(ENCODER_KINDS as unknown as [EncoderKind, ...EncoderKind[]]),
    hidden: positive.max(65536),
    rank: positive.max(65536),
    lr: z.number().positive().max(10),
    weightDecay: z.number().min(0).max(10),
    batchSize: z.number().int().min(2).max(1_000_000),
    dropout: z.number().min(0).lt(1),
  })
  .partial()
  .strict();

export const BenchmarkDeclarationSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'expected a lower-case id (letters, digits and -), e.g. my-har-near'),
    title: z.string().min(1).max(200).regex(/^[^\n\r]*$/, 'expected one line'),
    description: z.string().min(1).max(2000),
    setting: z.enum(['near', 'far']),
    modalities: z.array(z.object({ name, dim: positive.max(1_000_000), dropout: z.boolean().default(true) }).strict()).min(1).max(16),
    /** Modality sets to run (names in the order of `modalities`); default: all modalities together. */
    modalitySets: z.array(z.array(name).min(1)).min(1).optional(),
    classNames: z.array(z.string().min(1).max(100)).min(2).max(100_000),
    /** Rows per split: train, val, test, and each OOD set (`ood` / `ood-<name>`); partitioned benchmarks: train, val, test. */
    splits: z.record(z.string(), rows),
    oodSets: z.array(z.object({ name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/), title: z.string().max(200).optional() }).strict()).min(1).max(32).optional(),
    partitions: z.object({ idClasses: z.number().int().min(2), count: positive.max(1000), seed: z.number().int().min(0).max(2 ** 31).default(0) }).strict().optional(),
    fitSplit: z.enum(['train', 'val']).default('train'),
    training: TrainingDeclaration.optional(),
    backbone: z.string().min(1).max(500).optional(),
    extraction: FeatureManifestSchema.shape.extraction,
    /** Where the data comes from: a citation or a link, shown on the site. */
    source: z.string().min(1).max(500).optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const names = d.modalities.map((m) => m.name);
    if (new Set(names).size !== names.length) issue(['modalities'], 'a modality is named twice');
    d.modalitySets?.forEach((set, i) => {
      for (const m of set) if (!names.includes(m)) issue(['modalitySets', i], `unknown modality ${m} (declared: ${names.join(', ')})`);
      if (set.some((m, j) => j > 0 && names.indexOf(m) <= names.indexOf(set[j - 1]!))) issue(['modalitySets', i], 'expected the modalities in their declared order, each once');
    });
    for (const k of ['train', 'val', 'test']) if (d.splits[k] === undefined) issue(['splits', k], 'missing: rows of this ID split');
    if (d.partitions) {
      if (d.oodSets) issue(['oodSets'], 'a partitioned benchmark draws its OOD classes; leave oodSets out');
      if (d.setting !== 'near') issue(['setting'], 'class partitions make Near-OOD benchmarks: expected "near"');
      if (d.partitions.idClasses >= d.classNames.length) issue(['partitions', 'idClasses'], `expected fewer than the ${d.classNames.length} classes (the rest are OOD)`);
    } else {
      if (!d.oodSets) issue(['oodSets'], 'missing: the OOD sets (or partitions)');
      const sets = d.oodSets ?? [];
      if (d.setting === 'near' && (sets.length !== 1 || sets[0]!.name !== 'near')) issue(['oodSets'], 'a Near-OOD benchmark has one OOD set named "near"');
      if (d.setting === 'far' && sets.some((s) => s.name === 'near')) issue(['oodSets'], 'Far-OOD sets are named after their dataset, not "near"');
      for (const [i, s] of sets.entries()) if (d.splits[s.name === 'near' ? 'ood' : `ood-${s.name}`] === undefined) issue(['splits'], `missing: rows of OOD set ${s.name} (key ${s.name === 'near' ? 'ood' : `ood-${s.name}`}, oodSets[${i}])`);
    }
  });

export type BenchmarkDeclaration = z.infer<typeof BenchmarkDeclarationSchema>;

export class DeclarationError extends Error {
  override readonly name = 'DeclarationError';
}

/** Reads `<dir>/benchmark.json`; every problem is one line naming the file and the field. */
export function readDeclaration(dir: string): BenchmarkDeclaration {
  const path = join(dir, DECLARATION_FILE);
  if (!existsSync(path)) throw new DeclarationError(`${path}: file not found (a declared benchmark's folder holds benchmark.json)`);
  const st = lstatSync(path);
  if (!st.isFile()) throw new DeclarationError(`${path}: expected a regular file`);
  if (st.size > 4 << 20) throw new DeclarationError(`${path}: ${st.size} bytes, expected at most 4 MiB`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new DeclarationError(`${path}: not valid JSON (${(e instanceof Error ? e.message : String(e)).split('\n')[0]})`);
  }
  const parsed = BenchmarkDeclarationSchema.safeParse(json);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    const field = i.path.map((p, k) => (typeof p === 'number' ? `[${p}]` : `${k > 0 ? '.' : ''}${String(p)}`)).join('');
    const detail = i.code === 'unrecognized_keys' ? `unknown field ${i.keys.join(', ')}` : i.message;
    throw new DeclarationError(`${path}: field ${field || '(root)'}: ${detail.split('\n')[0]}`);
  }
  return parsed.data;
}
