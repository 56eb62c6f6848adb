/**
 * Readers for the upstream MultiOOD split lists a user has in their own MultiOOD checkout
 * (docs/multiood-facts.md §6). The project ships none of these files; it reads the user's.
 *
 * - `*.txt`: one clip a line, `<relative path> <label>`. Kinetics paths contain spaces
 *   ("building sandcastle/x.mp4 0"), so the label is what follows the LAST space.
 * - `HAC_*.csv`: `<clip>.mp4,<label>`, no header (split on the last comma).
 * - EPIC `D3_*.pkl`: a pickled list of tuples
 *   (video_id, start_frame, stop_frame, start_timestamp, stop_timestamp, label), read with the
 *   project's safe unpickler (no code runs; nothing but plain data is accepted).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DATA_GLOBALS, describePickleValue, PickleTuple, unpickle } from '../io/pickle.ts';
import { EPIC_VERBS, type MultioodDefinition, type SplitListFile } from './definitions.ts';

export class SplitListError extends Error {
  override readonly name = 'SplitListError';
}

export interface SplitListEntry {
  /** The clip: a relative path (txt), a clip file name (HAC), or `<video_id>:<start>-<stop>` (EPIC). */
  readonly clip: string;
  readonly label: number;
}

function parseLabel(text: string, source: string, line: number): number {
  const t = text.trim();
  if (!/^\d+$/.test(t)) throw new SplitListError(`${source}:${line}: label ${JSON.stringify(t)} is not a non-negative integer`);
  return Number(t);
}

function lines(text: string): { line: string; number: number }[] {
  return text
    .split('\n')
    .map((line, i) => ({ line: line.replace(/\r$/, ''), number: i + 1 }))
    .filter((l) => l.line.trim() !== '');
}

/** `<relative path> <label>` per line; the label follows the last space. */
export function parseSplitTxt(text: string, source: string): SplitListEntry[] {
  return lines(text).map(({ line, number }) => {
    const cut = line.lastIndexOf(' ');
    if (cut <= 0) throw new SplitListError(`${source}:${number}: expected "<path> <label>", got ${JSON.stringify(line.slice(0, 120))}`);
    return { clip: line.slice(0, cut), label: parseLabel(line.slice(cut + 1), source, number) };
  });
}

/** HAC: `<clip>.mp4,<label>`, no header. */
export function parseHacCsv(text: string, source: string): SplitListEntry[] {
  return lines(text).map(({ line, number }) => {
    const cut = line.lastIndexOf(',');
    if (cut <= 0) throw new SplitListError(`${source}:${number}: expected "<clip>.mp4,<label>", got ${JSON.stringify(line.slice(0, 120))}`);
    return { clip: line.slice(0, cut), label: parseLabel(line.slice(cut + 1), source, number) };
  });
}

export interface EpicSegment {
  readonly videoId: string;
  readonly startFrame: number;
  readonly stopFrame: number;
  readonly startTimestamp: string;
  readonly stopTimestamp: string;
  readonly label: number;
}

/** EPIC `D3_*.pkl`: a list of 6-tuples, read without executing anything. */
export function parseEpicPickle(bytes: Uint8Array, source: string): EpicSegment[] {
  let value;
  try {
    value = unpickle(bytes, { source, globals: DATA_GLOBALS });
  } catch (e) {
    throw new SplitListError(e instanceof Error ? e.message.split('\n')[0]! : String(e));
  }
  if (!Array.isArray(value)) throw new SplitListError(`${source}: expected a pickled list of tuples, got a ${describePickleValue(value)}`);
  return value.map((row, i) => {
    const fields = row instanceof PickleTuple ? row.items : undefined;
    if (!fields || fields.length !== 6) {
      throw new SplitListError(`${source}: row ${i} is a ${describePickleValue(row)}${fields ? ` of ${fields.length}` : ''}, expected a 6-tuple (video_id, start_frame, stop_frame, start_ts, stop_ts, label)`);
    }
    const [videoId, startFrame, stopFrame, startTs, stopTs, label] = fields;
    const int = (v: unknown, what: string): number => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new SplitListError(`${source}: row ${i}: ${what} is ${describePickleValue(v as never)}, expected a non-negative int`);
      return v;
    };
    const str = (v: unknown, what: string): string => {
      if (typeof v !== 'string') throw new SplitListError(`${source}: row ${i}: ${what} is ${describePickleValue(v as never)}, expected a str`);
      return v;
    };
    return {
      videoId: str(videoId, 'video_id'),
      startFrame: int(startFrame, 'start_frame'),
      stopFrame: int(stopFrame, 'stop_frame'),
      startTimestamp: str(startTs, 'start_timestamp'),
      stopTimestamp: str(stopTs, 'stop_timestamp'),
      label: int(label, 'label'),
    };
  });
}

/**
 * Where split lists may sit under the folder a user points at: their MultiOOD checkout, its
 * splits folders, or a flat folder of the files.
 */
const SEARCH_DIRS = ['.', 'HMDB-rgb-flow/splits', 'EPIC-rgb-flow/splits', 'HMDB-rgb-flow-splits', 'EPIC-rgb-flow-splits', 'splits'];

/** The path of one upstream list under `root`, or undefined. */
export function locateSplitList(root: string, file: string): string | undefined {
  for (const dir of SEARCH_DIRS) {
    const path = join(root, dir, file);
    if (existsSync(path)) return path;
  }
  return undefined;
}

/** Reads one upstream list file (any of the three formats) into entries. */
export async function readSplitListFile(path: string, format: SplitListFile['format']): Promise<SplitListEntry[]> {
  if (format === 'epic-pkl') {
    return parseEpicPickle(await readFile(path), path).map((s) => ({ clip: `${s.videoId}:${s.startFrame}-${s.stopFrame}`, label: s.label }));
  }
  const text = await readFile(path, 'utf8');
  return format === 'txt' ? parseSplitTxt(text, path) : parseHacCsv(text, path);
}

/** A split's entries: its list files under `root`, concatenated in the definition's order. */
export async function readSplitList(root: string, files: readonly SplitListFile[]): Promise<SplitListEntry[]> {
  const out: SplitListEntry[] = [];
  for (const f of files) {
    const path = locateSplitList(root, f.file);
    if (!path) throw new SplitListError(`${join(root, f.file)}: split list not found (looked in ${SEARCH_DIRS.join(', ')} under ${root})`);
    out.push(...(await readSplitListFile(path, f.format)));
  }
  return out;
}

/** The class named by one ID list entry, per the definition's naming rule. */
export function classNameOf(def: MultioodDefinition, entry: SplitListEntry): string | undefined {
  switch (def.classNameSource) {
    case 'definition':
      return def.classNames?.[entry.label] ?? (def.dataset === 'EPIC' ? EPIC_VERBS[entry.label] : undefined);
    case 'path-folder': {
      const slash = entry.clip.indexOf('/');
      return slash > 0 ? entry.clip.slice(0, slash) : undefined;
    }
    case 'ucf-file-name': {
      const base = entry.clip.slice(entry.clip.lastIndexOf('/') + 1);
      return /^v_(.+)_g\d+_c\d+\.avi$/.exec(base)?.[1];
    }
  }
}

/**
 * ID class names in label order, read from the user's ID split lists (train, val, test):
 * each label must name exactly one class and every label 0..C-1 must occur.
 */
export async function classNamesFromSplitLists(def: MultioodDefinition, root: string): Promise<string[]> {
  const names = new Map<number, string>();
  for (const split of ['train', 'val', 'test'] as const) {
    for (const e of await readSplitList(root, def.splitLists[split])) {
      if (e.label >= def.idClasses) throw new SplitListError(`${def.splitLists[split][0]!.file}: label ${e.label} in an ID split of ${def.id}, expected 0..${def.idClasses - 1}`);
      const name = classNameOf(def, e);
      if (name === undefined) throw new SplitListError(`${def.splitLists[split][0]!.file}: cannot read a class name from ${JSON.stringify(e.clip)}`);
      const known = names.get(e.label);
      if (known !== undefined && known !== name) throw new SplitListError(`${def.splitLists[split][0]!.file}: label ${e.label} names both "${known}" and "${name}"`);
      names.set(e.label, name);
    }
  }
  const missing = Array.from({ length: def.idClasses }, (_, c) => c).filter((c) => !names.has(c));
  if (missing.length) throw new SplitListError(`${def.id}: the split lists under ${root} have no clip of class ${missing.slice(0, 5).join(', ')}`);
  return Array.from({ length: def.idClasses }, (_, c) => names.get(c)!);
}
