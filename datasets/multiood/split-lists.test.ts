import { describe, expect, test } from 'bun:test';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FAR_OOD_SETS, fitSplitFor, ID_CLASS_COUNT, MODALITY_DIMS } from './benchmarks.ts';
import { EPIC_VERBS, MULTIOOD_DEFINITIONS, trainingDefaultsFor, type MultioodDefinition } from './definitions.ts';
import { classNamesFromSplitLists, parseEpicPickle, parseHacCsv, parseSplitTxt, readSplitList, SplitListError } from './split-lists.ts';

/** The real upstream lists (test data only; never copied into the project). */
const SHARED = join(import.meta.dir, '..', '..', '..', 'shared', 'data', 'multiood');
const HAVE_SHARED = existsSync(join(SHARED, 'derived', 'benchmark_classes_and_counts.json'));
if (!HAVE_SHARED) console.warn(`SKIPPING the split-list checks against the real MultiOOD lists: ${SHARED} is absent`);

/** A protocol-4 pickle of a list of (str, int, int, str, str, int) tuples, written opcode by opcode. */
function pickleTuples(rows: readonly (readonly (string | number)[])[]): Uint8Array {
  const out: number[] = [0x80, 4, 0x5d, 0x28]; // PROTO 4, EMPTY_LIST, MARK
  const enc = new TextEncoder();
  for (const row of rows) {
    out.push(0x28); // MARK
    for (const v of row) {
      if (typeof v === 'string') {
        const b = enc.encode(v);
        out.push(0x8c, b.length, ...b); // SHORT_BINUNICODE
      } else if (v < 256) {
        out.push(0x4b, v); // BININT1
      } else {
        out.push(0x4a, v & 255, (v >> 8) & 255, (v >> 16) & 255, (v >> 24) & 255); // BININT
      }
    }
    out.push(0x74); // TUPLE
  }
  out.push(0x65, 0x2e); // APPENDS, STOP
  return Uint8Array.from(out);
}

describe('split-list parsers', () => {
  test('txt: the label follows the LAST space (Kinetics paths contain spaces); CRLF and blank lines tolerated', () => {
    const rows = parseSplitTxt('building sandcastle/a b_000001.mp4 0\r\nbrush_hair/x.avi 12\n\n', 'k.txt');
    expect(rows).toEqual([
      { clip: 'building sandcastle/a b_000001.mp4', label: 0 },
      { clip: 'brush_hair/x.avi', label: 12 },
    ]);
  });

  test('txt and csv errors name file and line', () => {
    expect(() => parseSplitTxt('a.avi 1\nb.avi x\n', 'l.txt')).toThrow(new SplitListError('l.txt:2: label "x" is not a non-negative integer'));
    expect(() => parseSplitTxt('nolabel\n', 'l.txt')).toThrow(/l\.txt:1: expected "<path> <label>"/);
    expect(() => parseHacCsv('a.mp4,1\nb.mp4\n', 'h.csv')).toThrow(/h\.csv:2: expected "<clip>\.mp4,<label>"/);
    expect(parseHacCsv('-Gc65Qj4Gzg-001.mp4,0\n', 'h.csv')).toEqual([{ clip: '-Gc65Qj4Gzg-001.mp4', label: 0 }]);
  });

  test('EPIC pickle: tuples through the safe unpickler; anything else refused in one line', () => {
    const bytes = pickleTuples([
      ['P22_17', 13687, 14316, '00:03:48.12', '00:03:58.61', 1],
      ['P01_01', 5, 90, '00:00:00.10', '00:00:01.50', 7],
    ]);
    expect(parseEpicPickle(bytes, 'D3.pkl')).toEqual([
      { videoId: 'P22_17', startFrame: 13687, stopFrame: 14316, startTimestamp: '00:03:48.12', stopTimestamp: '00:03:58.61', label: 1 },
      { videoId: 'P01_01', startFrame: 5, stopFrame: 90, startTimestamp: '00:00:00.10', stopTimestamp: '00:00:01.50', label: 7 },
    ]);
    expect(() => parseEpicPickle(pickleTuples([['P01', 1, 2, 'a', 'b']]), 'D3.pkl')).toThrow(/D3\.pkl: row 0 is a tuple of 5, expected a 6-tuple/);
    expect(() => parseEpicPickle(pickleTuples([['P01', 1, 2, 'a', 'b', 'take']]), 'D3.pkl')).toThrow(/D3\.pkl: row 0: label is str, expected a non-negative int/);
    // GLOBAL os.system: the unpickler refuses it by name, nothing runs.
    const evil = Uint8Array.from([0x80, 2, 0x63, ...new TextEncoder().encode('os\nsystem\n'), 0x2e]);
    expect(() => parseEpicPickle(evil, 'evil.pkl')).toThrow(SplitListError);
    expect(() => parseEpicPickle(Uint8Array.from([0x80, 4, 0x7d, 0x2e]), 'dict.pkl')).toThrow(/dict\.pkl: expected a pickled list of tuples, got a dict/);
  });
});

describe('definitions', () => {
  test('agree with the constants eval-dumps uses (classes, Far-OOD sets, fit split, widths)', () => {
    for (const d of MULTIOOD_DEFINITIONS) {
      expect(ID_CLASS_COUNT[d.setting][d.dataset]).toBe(d.idClasses);
      expect(d.fitSplit).toBe(fitSplitFor(d.dataset));
      if (d.setting === 'far') expect(d.oodSets.map((o) => o.name)).toEqual([...FAR_OOD_SETS[d.dataset]!]);
      else expect(d.oodSets.map((o) => o.name)).toEqual(['near']);
      for (const m of d.modalities) expect(m.dim).toBe(MODALITY_DIMS.find(([n]) => n === m.name)![1]);
      for (const set of d.modalitySets) {
        const order = d.modalities.map((m) => m.name);
        expect(set.map((m) => order.indexOf(m))).toEqual([...set.map((m) => order.indexOf(m))].sort());
        expect(set.every((m) => order.includes(m))).toBe(true);
      }
      expect(new Set(MULTIOOD_DEFINITIONS.map((x) => x.id)).size).toBe(MULTIOOD_DEFINITIONS.length);
    }
  });

  test('upstream training settings (docs/multiood-facts.md §5), per modality set', () => {
    const byId = (id: string) => MULTIOOD_DEFINITIONS.find((d) => d.id === id)!;
    expect(byId('epic-kitchens-near').training.epochs).toEqual({ baseline: 20, a2d: 50, a2dNpmix: 20 });
    expect(trainingDefaultsFor(byId('epic-kitchens-near'), ['video', 'flow']).npmix).toEqual({ a2d: 0.1, ood: 0.1, ent: 0.1, startEpoch: 10 });
    expect(trainingDefaultsFor(byId('epic-kitchens-near'), ['video', 'audio', 'flow']).npmix).toEqual({ a2d: 0.5, ood: 0.5, ent: 0.5, startEpoch: 10 });
    expect(trainingDefaultsFor(byId('kinetics600-near'), ['video', 'audio', 'flow']).npmix.a2d).toBe(0.5);
    expect(byId('kinetics600-far').training).toMatchObject({ epochs: { baseline: 10, a2dNpmix: 10 }, npmix: { startEpoch: 3 } });
    expect(byId('hmdb51-near').training).toMatchObject({ epochs: { baseline: 50, a2d: 50, a2dNpmix: 50 }, a2dWeight: 1, npmix: { a2d: 0.5 } });
    for (const d of MULTIOOD_DEFINITIONS) expect(d.training).toMatchObject({ encoder: 'adapter', noDropout: ['audio'] });
    // the two-modality sets with audio that upstream never trained are flagged
    expect(byId('epic-kitchens-near').extrapolated!.some((x) => x.includes('video + audio and audio + flow'))).toBe(true);
    expect(byId('kinetics600-near').extrapolated!.some((x) => x.includes('video + audio and audio + flow'))).toBe(true);
  });
});

interface DerivedNear { id_classes: string[]; ood_classes: string[]; counts: { train: number; val: number; test: number; eval: number } }
interface DerivedFar { id_classes: string[]; counts: { train: number; val: number; test: number }; ood: Record<string, { n: number }> }

describe.skipIf(!HAVE_SHARED)('definitions against the real upstream split lists', () => {
  const derived = () => Bun.file(join(SHARED, 'derived', 'benchmark_classes_and_counts.json')).json() as Promise<Record<string, unknown>>;
  const histogram = (labels: number[]) => labels.reduce((m, y) => m.set(y, (m.get(y) ?? 0) + 1), new Map<number, number>());

  async function checkDefinition(d: MultioodDefinition) {
    const j = await derived();
    for (const s of ['train', 'val', 'test'] as const) {
      const rows = await readSplitList(SHARED, d.splitLists[s]);
      expect(rows.length).toBe(d.sizes[s]);
      const h = histogram(rows.map((r) => r.label));
      expect([...h.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: d.idClasses }, (_, c) => c));
    }
    for (const o of d.oodSets) {
      const rows = await readSplitList(SHARED, o.lists);
      expect(rows.length, `${d.id} OOD ${o.name}`).toBe(o.size);
      if (d.setting === 'near') {
        const labels = new Set(rows.map((r) => r.label));
        expect(labels.size).toBe(d.oodClasses!);
        expect(Math.min(...labels)).toBe(d.idClasses);
        expect(Math.max(...labels)).toBe(d.idClasses + d.oodClasses! - 1);
      }
    }
    const names = await classNamesFromSplitLists(d, SHARED);
    if (d.setting === 'near') {
      const ref = j[`near_ood/${d.dataset}`] as DerivedNear;
      expect(names).toEqual(ref.id_classes);
      expect(ref.id_classes.length).toBe(d.idClasses);
      expect(ref.ood_classes.length).toBe(d.oodClasses!);
      expect(ref.counts).toEqual({ ...d.sizes, eval: d.oodSets[0]!.size });
    } else {
      const ref = j[`far_ood/${d.dataset}`] as DerivedFar;
      expect(names).toEqual(ref.id_classes);
      expect(ref.counts).toEqual(d.sizes);
      for (const o of d.oodSets) expect(ref.ood[o.name]!.n, `${d.id} OOD ${o.name}`).toBe(o.size);
      for (const x of d.excludedClasses ?? []) expect(names).not.toContain(x);
    }
  }

  for (const d of MULTIOOD_DEFINITIONS) test(`${d.id}: sizes, label ranges and class names`, () => checkDefinition(d));

  test('EPIC pickles read exactly as the derived CSVs; verbs as the definition names them', async () => {
    for (const name of ['D3_train', 'D3_val', 'D3_test', 'D3_train_near_ood', 'D3_eval_near_ood']) {
      const rows = parseEpicPickle(await readFile(join(SHARED, 'EPIC-rgb-flow-splits', `${name}.pkl`)), name);
      const csv = (await readFile(join(SHARED, 'derived', `${name}.csv`), 'utf8')).trim().split(/\r?\n/).slice(1);
      expect(rows.map((r) => [r.videoId, r.startFrame, r.stopFrame, r.startTimestamp, r.stopTimestamp, r.label].join(','))).toEqual(csv);
    }
    const j = await derived();
    const epic = j['near_ood/EPIC'] as DerivedNear;
    expect(epic.id_classes).toEqual(EPIC_VERBS.slice(0, 4));
    expect(epic.ood_classes).toEqual(EPIC_VERBS.slice(4));
  });

  test('HMDB51 far excludes exactly the eight overlapping classes', async () => {
    const hmdb = MULTIOOD_DEFINITIONS.find((d) => d.id === 'hmdb51-far')!;
    const near = await classNamesFromSplitLists(MULTIOOD_DEFINITIONS.find((d) => d.id === 'hmdb51-near')!, SHARED);
    const nearOod = new Set((await readSplitList(SHARED, [{ file: 'HMDB_eval_near_ood.txt', format: 'txt' }])).map((r) => r.clip.split('/')[0]!));
    const all51 = new Set([...near, ...nearOod]);
    expect(all51.size).toBe(51);
    const far = await classNamesFromSplitLists(hmdb, SHARED);
    expect([...all51].filter((c) => !far.includes(c)).sort()).toEqual([...hmdb.excludedClasses!].sort());
  });
});
