import { afterAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNpy } from '../io/npy.ts';
import { checkFeatureFolderAgainstSplitLists } from './check.ts';
import { MULTIOOD_DEFINITIONS, type MultioodDefinition } from './definitions.ts';
import { readSplitList } from './split-lists.ts';

const SHARED = join(import.meta.dir, '..', '..', '..', 'shared', 'data', 'multiood');
const HAVE_SHARED = existsSync(join(SHARED, 'EPIC-rgb-flow-splits', 'D3_train_near_ood.pkl'));
if (!HAVE_SHARED) console.warn(`SKIPPING the feature-folder check against the real EPIC lists: ${SHARED} is absent`);

const root = mkdtempSync(join(tmpdir(), 'multiood-check-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A manifest and label files only: the check never reads features. */
async function labelsOnlyFolder(dir: string, def: MultioodDefinition, labels: Record<'train' | 'val' | 'test', number[]>, ood: Record<string, number>, classNames?: string[]) {
  await mkdir(dir, { recursive: true });
  for (const [k, ys] of Object.entries(labels)) await writeNpy(join(dir, `${k}.labels.npy`), { dtype: 'int64', shape: [ys.length], data: BigInt64Array.from(ys, BigInt) });
  const splits = { ...Object.fromEntries(Object.entries(labels).map(([k, ys]) => [k, ys.length])), ...ood };
  await writeFile(join(dir, 'manifest.json'), JSON.stringify({ benchmark: def.id, modalities: def.modalities, splits, backbone: 'test', created: '2025-01-01T00:00:00Z', ...(classNames ? { classNames } : {}) }));
}

const TOY: MultioodDefinition = {
  ...MULTIOOD_DEFINITIONS.find((d) => d.id === 'hmdb51-near')!,
  idClasses: 2,
  oodClasses: 1,
  sizes: { train: 4, val: 2, test: 2 },
  oodSets: [{ name: 'near', title: 'toy', size: 3, lists: [{ file: 'toy_eval.txt', format: 'txt' }] }],
  splitLists: { train: [{ file: 'toy_train.txt', format: 'txt' }], val: [{ file: 'toy_val.txt', format: 'txt' }], test: [{ file: 'toy_test.txt', format: 'txt' }] },
};

describe('checking a feature folder against split lists', () => {
  test('toy lists in a checkout layout: identical, reordered, wrong counts, class names', async () => {
    const lists = join(root, 'checkout', 'HMDB-rgb-flow', 'splits');
    await mkdir(lists, { recursive: true });
    await writeFile(join(lists, 'toy_train.txt'), 'run/a.avi 0\nrun/b.avi 0\nsit/c.avi 1\nsit/d.avi 1\n');
    await writeFile(join(lists, 'toy_val.txt'), 'run/e.avi 0\nsit/f.avi 1\n');
    await writeFile(join(lists, 'toy_test.txt'), 'run/g.avi 0\nsit/h.avi 1\n');
    await writeFile(join(lists, 'toy_eval.txt'), 'jump/i.avi 2\njump/j.avi 2\njump/k.avi 2\n');

    const good = join(root, 'good');
    await labelsOnlyFolder(good, TOY, { train: [0, 0, 1, 1], val: [1, 0], test: [0, 1] }, { ood: 3 }, ['run', 'sit']);
    const r = await checkFeatureFolderAgainstSplitLists(TOY, good, join(root, 'checkout'));
    expect(r.ok).toBe(true);
    expect(r.classNames).toEqual(['run', 'sit']);
    expect(r.splits.map((s) => [s.split, s.listRows, s.folderRows, s.labels])).toEqual([
      ['train', 4, 4, 'identical'],
      ['val', 2, 2, 'same class counts'],
      ['test', 2, 2, 'identical'],
      ['ood', 3, 3, undefined],
    ]);

    const bad = join(root, 'bad');
    await labelsOnlyFolder(bad, TOY, { train: [0, 0, 0], val: [0, 1], test: [0, 1] }, { ood: 2 }, ['sit', 'run']);
    const b = await checkFeatureFolderAgainstSplitLists(TOY, bad, lists);
    expect(b.ok).toBe(false);
    expect(b.splits.find((s) => s.split === 'train')!.problems).toEqual(['the folder has 3 rows, the list 4 clips', 'class 0: 3 rows in the folder, 2 in the list']);
    expect(b.splits.find((s) => s.split === 'ood')!.problems).toEqual(['the folder has 2 rows, the list 3 clips']);
    expect(b.splits.at(-1)!.problems).toEqual(['manifest.json classNames[0] is "sit", the lists name class 0 "run"']);
  });

  test('a list missing from the checkout is a one-line error naming it', async () => {
    const good = join(root, 'good');
    await expect(checkFeatureFolderAgainstSplitLists(TOY, good, join(root, 'empty'))).rejects.toThrow(/toy_train\.txt: split list not found/);
  });

  test.skipIf(!HAVE_SHARED)('EPIC-Kitchens 4/4 against the real lists: matching labels pass, a dropped clip is caught', async () => {
    const def = MULTIOOD_DEFINITIONS.find((d) => d.id === 'epic-kitchens-near')!;
    const labels = async (s: 'train' | 'val' | 'test') => (await readSplitList(SHARED, def.splitLists[s])).map((e) => e.label);
    const all = { train: await labels('train'), val: await labels('val'), test: await labels('test') };
    const dir = join(root, 'epic');
    await labelsOnlyFolder(dir, def, all, { ood: 1320 });
    const r = await checkFeatureFolderAgainstSplitLists(def, dir, SHARED);
    expect(r.ok).toBe(true);
    expect(r.classNames).toEqual(['take', 'put', 'open', 'close']);
    expect(r.splits.map((s) => s.labels ?? '-')).toEqual(['identical', 'identical', 'identical', '-']);

    await labelsOnlyFolder(dir, def, { ...all, val: all.val.slice(1) }, { ood: 1320 });
    const dropped = await checkFeatureFolderAgainstSplitLists(def, dir, SHARED);
    expect(dropped.ok).toBe(false);
    expect(dropped.splits[1]!.problems[0]).toBe('the folder has 530 rows, the list 531 clips');
  });
});
