import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readNpyLabels } from '../io/npy.ts';
import { labelFileName, oodSplitKey, readManifest } from '../feature-folder/feature-folder.ts';
import type { MultioodDefinition, SplitListFile } from './definitions.ts';
import { featureFolderSpec } from './feature-benchmark.ts';
import { classNamesFromSplitLists, readSplitList, SplitListError } from './split-lists.ts';

export interface SplitCheck {
  /** Feature-folder split key: train, val, test, ood, ood-<name>. */
  readonly split: string;
  readonly listFiles: readonly string[];
  /** Clips in the user's split list(s). */
  readonly listRows: number;
  /** Clips in the official split. */
  readonly officialRows: number;
  /** Rows in the feature folder (absent when the folder lacks the split). */
  readonly folderRows?: number;
  /** ID splits: the folder's labels against the list's, row by row or as class counts. */
  readonly labels?: 'identical' | 'same class counts' | 'differ' | 'not compared';
  readonly problems: readonly string[];
}

export interface FolderCheckReport {
  readonly benchmark: string;
  readonly folder: string;
  readonly splitLists: string;
  readonly ok: boolean;
  readonly splits: readonly SplitCheck[];
  /** ID class names in label order, read from the lists. */
  readonly classNames: readonly string[];
}

/**
 * Compares a user's feature folder with the split lists they point to: rows per split against
 * each list (and the lists against the official sizes), and the ID labels against the lists'
 * labels. Reads only the manifest and the label files, never the features.
 */
export async function checkFeatureFolderAgainstSplitLists(def: MultioodDefinition, folder: string, splitListRoot: string): Promise<FolderCheckReport> {
  const manifest = await readManifest(folder, featureFolderSpec(def));
  const items: { key: string; lists: readonly SplitListFile[]; official: number; id: boolean }[] = [
    ...(['train', 'val', 'test'] as const).map((k) => ({ key: k, lists: def.splitLists[k], official: def.sizes[k], id: true })),
    ...def.oodSets.map((o) => ({ key: oodSplitKey(o.name), lists: o.lists, official: o.size, id: false })),
  ];
  const splits: SplitCheck[] = [];
  for (const item of items) {
    const problems: string[] = [];
    const entries = await readSplitList(splitListRoot, item.lists);
    const listFiles = item.lists.map((l) => l.file);
    if (entries.length !== item.official) problems.push(`the list has ${entries.length} clips, the official split ${item.official} (not the benchmark's list?)`);
    const folderRows = manifest.splits[item.key];
    let labels: SplitCheck['labels'];
    if (folderRows === undefined) {
      problems.push('not in the feature folder');
    } else {
      if (folderRows !== entries.length) problems.push(`the folder has ${folderRows} rows, the list ${entries.length} clips`);
      if (item.id) {
        const path = join(folder, labelFileName(item.key));
        if (!existsSync(path)) {
          problems.push(`${path}: file not found`);
          labels = 'not compared';
        } else {
          const folderLabels = await readNpyLabels(path);
          const listLabels = entries.map((e) => e.label);
          if (folderLabels.length === listLabels.length && listLabels.every((y, i) => folderLabels[i] === y)) {
            labels = 'identical';
          } else {
            const hist = (ys: ArrayLike<number>) => {
              const h = new Map<number, number>();
              for (let i = 0; i < ys.length; i++) h.set(ys[i]!, (h.get(ys[i]!) ?? 0) + 1);
              return h;
            };
            const a = hist(folderLabels);
            const b = hist(listLabels);
            const same = a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
            labels = same ? 'same class counts' : 'differ';
            if (!same) {
              const diff = [...new Set([...a.keys(), ...b.keys()])].sort((x, y) => x - y).find((k) => a.get(k) !== b.get(k))!;
              problems.push(`class ${diff}: ${a.get(diff) ?? 0} rows in the folder, ${b.get(diff) ?? 0} in the list`);
            }
          }
        }
      }
    }
    splits.push({ split: item.key, listFiles, listRows: entries.length, officialRows: item.official, ...(folderRows !== undefined ? { folderRows } : {}), ...(labels ? { labels } : {}), problems });
  }
  let classNames: string[];
  try {
    classNames = await classNamesFromSplitLists(def, splitListRoot);
  } catch (e) {
    if (!(e instanceof SplitListError)) throw e;
    classNames = [];
    splits.push({ split: 'classNames', listFiles: [], listRows: 0, officialRows: 0, problems: [e.message] });
  }
  if (manifest.classNames && classNames.length === manifest.classNames.length) {
    const c = classNames.findIndex((n, i) => manifest.classNames![i] !== n);
    if (c >= 0) splits.push({ split: 'classNames', listFiles: [], listRows: 0, officialRows: 0, problems: [`manifest.json classNames[${c}] is "${manifest.classNames[c]}", the lists name class ${c} "${classNames[c]}"`] });
  }
  return { benchmark: def.id, folder, splitLists: splitListRoot, ok: splits.every((s) => s.problems.length === 0), splits, classNames };
}
