/**
 * Per-sequence feature extraction with an on-disk cache, one bundle file per modality:
 * `<cacheDir>/utd-mhad/<modality>-v<FEATURE_VERSION>-<settings hash>.bin`.
 *
 * Each sequence's vector is stored under a key = SHA-256 of (feature code version, modality, the
 * modality's feature settings, the source file's name, size and mtime, and for the skeleton the
 * hip-centre index read from the joint-order file). A load stats every source file, takes the
 * vectors whose key is in the bundle and extracts only the others, one file at a time (read,
 * inflate, compute, drop: memory stays at one recording), then rewrites the bundle atomically
 * (temporary file + rename, so concurrent loads never read a half-written bundle). A bundle that
 * does not parse is ignored and rebuilt. The cache lives outside the data folder (data-dir.ts).
 *
 * Bundle layout: 'MOODFEAT', uint32 LE header length, UTF-8 JSON header {modality, dim, keys},
 * zero padding to a multiple of 8, then keys.length x dim float64 LE values (row per key).
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { readMat } from '../io/mat.ts';
import { modalityFolder, modalityVariable, sequenceFile, type Sequence } from './catalog.ts';
import { depthFeatures, FEATURE_SETTINGS, FEATURE_VERSION, featureDim, hipCentreIndex, inertialFeatures, skeletonFeatures, type UtdModality } from './features.ts';

export interface ExtractStats {
  readonly modality: UtdModality;
  readonly sequences: number;
  /** vectors taken from the cache */
  readonly hits: number;
  /** vectors computed from the MAT-files */
  readonly extracted: number;
  readonly seconds: number;
  readonly cacheFile: string;
}

export interface ExtractOptions {
  readonly cacheDir: string;
  /** Called after each extracted (not cached) sequence. */
  readonly onProgress?: (done: number, total: number) => void;
}

const MAGIC = 'MOODFEAT';

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function bundlePath(cacheDir: string, modality: UtdModality): string {
  const settingsHash = sha256(JSON.stringify(FEATURE_SETTINGS[modality])).slice(0, 12);
  return join(cacheDir, 'utd-mhad', `${modality}-v${FEATURE_VERSION}-${settingsHash}.bin`);
}

/** Rows of features, one per sequence in `sequences` order, from the cache or the MAT-files. */
export async function extractModality(root: string, sequences: readonly Sequence[], modality: UtdModality, options: ExtractOptions): Promise<{ rows: Float64Array[]; stats: ExtractStats }> {
  const started = performance.now();
  const dim = featureDim(modality);
  const file = bundlePath(options.cacheDir, modality);
  const hip = modality === 'skeleton' ? readHipIndex(root) : undefined;
  const keys = sequences.map((seq) => {
    const path = sequenceFile(root, seq, modality);
    const st = statSync(path);
    return sha256(JSON.stringify([FEATURE_VERSION, modality, FEATURE_SETTINGS[modality], basename(path), st.size, st.mtimeMs, hip ?? null]));
  });

  const cached = await readBundle(file, modality, dim);
  const rows: Float64Array[] = new Array(sequences.length);
  const missing: number[] = [];
  keys.forEach((key, i) => {
    const row = cached?.get(key);
    if (row) rows[i] = row;
    else missing.push(i);
  });
  const variable = modalityVariable(modality);
  for (const [done, i] of missing.entries()) {
    const path = sequenceFile(root, sequences[i]!, modality);
    const array = (await readMat(path, { variables: [variable] })).get(variable)!;
    const what = `${path}: ${variable}`;
    rows[i] = modality === 'inertial' ? inertialFeatures(array, what) : modality === 'skeleton' ? skeletonFeatures(array, hip!, what) : depthFeatures(array, what);
    options.onProgress?.(done + 1, missing.length);
  }
  if (missing.length > 0 || cached?.size !== keys.length) await writeBundle(file, modality, dim, keys, rows);
  return {
    rows,
    stats: { modality, sequences: sequences.length, hits: sequences.length - missing.length, extracted: missing.length, seconds: (performance.now() - started) / 1000, cacheFile: file },
  };
}

function readHipIndex(root: string): number {
  const path = join(modalityFolder(root, 'skeleton'), 'Skeleton_joint_order.txt');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new Error(`${path}: missing (the skeleton features centre on the hip-centre joint it names)`);
  }
  return hipCentreIndex(text, path);
}

async function readBundle(file: string, modality: UtdModality, dim: number): Promise<Map<string, Float64Array> | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    return undefined;
  }
  try {
    if (bytes.subarray(0, 8).toString('latin1') !== MAGIC) return undefined;
    const headerLength = bytes.readUInt32LE(8);
    const header = JSON.parse(bytes.subarray(12, 12 + headerLength).toString('utf8')) as { modality: string; dim: number; keys: string[] };
    if (header.modality !== modality || header.dim !== dim || !Array.isArray(header.keys)) return undefined;
    const dataStart = Math.ceil((12 + headerLength) / 8) * 8;
    if (bytes.length !== dataStart + header.keys.length * dim * 8) return undefined;
    const values = new Float64Array(bytes.buffer.slice(bytes.byteOffset + dataStart, bytes.byteOffset + bytes.length) as ArrayBuffer);
    return new Map(header.keys.map((key, i) => [key, values.subarray(i * dim, (i + 1) * dim)]));
  } catch {
    return undefined;
  }
}

async function writeBundle(file: string, modality: UtdModality, dim: number, keys: readonly string[], rows: readonly Float64Array[]): Promise<void> {
  const header = Buffer.from(JSON.stringify({ modality, dim, keys }), 'utf8');
  const dataStart = Math.ceil((12 + header.length) / 8) * 8;
  const out = Buffer.alloc(dataStart + keys.length * dim * 8);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(header.length, 8);
  header.copy(out, 12);
  const values = new Float64Array(out.buffer, out.byteOffset + dataStart, keys.length * dim);
  rows.forEach((row, i) => values.set(row, i * dim));
  await mkdir(join(file, '..'), { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await writeFile(tmp, out);
    await rename(tmp, file);
  } catch (error) {
    await unlink(tmp).catch(() => {});
    throw new Error(`writing the feature cache ${file}: ${(error as Error).message} (set MULTIOOD_CACHE to a writable folder)`);
  }
}
