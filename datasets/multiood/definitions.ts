import type { ModalitySpec, TrainingDefaults } from '../benchmark.ts';
import type { MultioodDataset, Setting } from './benchmarks.ts';

/**
 * The six MultiOOD benchmarks as data in our own schema (docs/multiood-facts.md §3-6): class counts,
 * modalities and the modality sets each is run with, the official split sizes, the OOD sets,
 * the fit split, the upstream training settings, and the names of the upstream split-list files
 * that describe each split (so a user's copy of those lists can be checked and read).
 *
 * Class names. The definitions carry class COUNTS, not per-label name lists. Which classes are
 * ID and in what label order is an artefact of the upstream split lists (Kinetics-600's 129/100
 * partition is a random draw, HMDB51 far drops 8 classes and renumbers), and those lists are
 * not ours to copy. Names are read at run time from the user's own split lists
 * (`classNamesFromSplitLists`) or from the `classNames` field of a feature folder's manifest.
 * The exceptions are names the benchmark definition itself states in words: EPIC-Kitchens'
 * eight verbs (EPIC-Kitchens-55 verb ids 0-7, four ID and four OOD) and the eight HMDB51 classes
 * the Far-OOD benchmark removes.
 */

/** One upstream split-list file; a split may be the concatenation of several (HAC, EPIC far). */
export interface SplitListFile {
  /** File name as in the upstream checkout (HMDB-rgb-flow/splits or EPIC-rgb-flow/splits). */
  readonly file: string;
  /** txt: `<path> <label>`; hac-csv: `<clip>.mp4,<label>`; epic-pkl: pickled list of tuples. */
  readonly format: 'txt' | 'hac-csv' | 'epic-pkl';
}

export interface OodSetDefinition {
  /** 'near' for Near-OOD, else the OOD dataset name (UCF, Kinetics, HAC, EPIC, HMDB). */
  readonly name: string;
  readonly title: string;
  /** Clips in the official list. */
  readonly size: number;
  readonly lists: readonly SplitListFile[];
}

export interface MultioodDefinition {
  readonly id: string;
  readonly title: string;
  readonly setting: Setting;
  /** The ID dataset. */
  readonly dataset: MultioodDataset;
  readonly idClasses: number;
  /** Near-OOD only: the held-out classes, labelled idClasses.. in the upstream lists. */
  readonly oodClasses?: number;
  /** Every modality the benchmark offers, in concatenation order, with the upstream backbones' widths. */
  readonly modalities: readonly ModalitySpec[];
  /** Modality sets the paper runs; the first is the default (Table 1 uses video + flow). */
  readonly modalitySets: readonly (readonly string[])[];
  /** Official ID split sizes (clips). */
  readonly sizes: { readonly train: number; readonly val: number; readonly test: number };
  /** OOD sets in the paper's column order. */
  readonly oodSets: readonly OodSetDefinition[];
  readonly splitLists: { readonly train: readonly SplitListFile[]; readonly val: readonly SplitListFile[]; readonly test: readonly SplitListFile[] };
  readonly fitSplit: 'train' | 'val';
  /** Upstream settings for the default modality set. */
  readonly training: TrainingDefaults;
  /** Upstream settings that differ for a particular modality set (EPIC/Kinetics near with video + audio + flow). */
  readonly trainingByModalitySet?: readonly { readonly modalities: readonly string[]; readonly training: TrainingDefaults }[];
  /** Settings upstream never ran, filled in by us (reported by `datasets info`). */
  readonly extrapolated?: readonly string[];
  /** Class names the definition states in words (EPIC verbs); otherwise read from the user's lists. */
  readonly classNames?: readonly string[];
  /** Far-OOD HMDB51: the classes removed because they overlap with the OOD sets. */
  readonly excludedClasses?: readonly string[];
  /** Where the ID split lists name the class: path folder (HMDB, Kinetics), UCF file name, EPIC verb id. */
  readonly classNameSource: 'path-folder' | 'ucf-file-name' | 'definition';
}

/** EPIC-Kitchens-55 verb ids 0-7 as the benchmark uses them: 0-3 ID, 4-7 Near-OOD. */
export const EPIC_VERBS = ['take', 'put', 'open', 'close', 'wash', 'cut', 'mix', 'pour'] as const;

const VIDEO: ModalitySpec = { name: 'video', dim: 2304 };
const AUDIO: ModalitySpec = { name: 'audio', dim: 512 };
const FLOW: ModalitySpec = { name: 'flow', dim: 2048 };
const VIDEO_FLOW = [VIDEO, FLOW];
const VIDEO_AUDIO_FLOW = [VIDEO, AUDIO, FLOW];
/** Table 1 is video + flow; the three-modality ablation adds video + audio, audio + flow (concatenation order) and all three. */
const VAF_SETS = [['video', 'flow'], ['video', 'audio'], ['audio', 'flow'], ['video', 'audio', 'flow']];

function training(epochs: [number, number, number], a2dWeight: number, npmix: [number, number, number, number]): TrainingDefaults {
  return {
    epochs: { baseline: epochs[0], a2d: epochs[1], a2dNpmix: epochs[2] },
    a2dWeight,
    npmix: { a2d: npmix[0], ood: npmix[1], ent: npmix[2], startEpoch: npmix[3] },
    // Inputs are frozen backbone embeddings: a trainable width-keeping block starting at the
    // identity stands in for upstream's fine-tuned last backbone block (docs/multiood-facts.md §5).
    encoder: 'adapter',
    // Upstream's audio model (ResNet-18) has no dropout; video and flow keep 0.5.
    noDropout: ['audio'],
  };
}

const txt = (...files: string[]): SplitListFile[] => files.map((file) => ({ file, format: 'txt' }));
const pkl = (...files: string[]): SplitListFile[] => files.map((file) => ({ file, format: 'epic-pkl' }));
/** The HAC OOD set is all six domain files together, in this order. */
const HAC_LISTS: SplitListFile[] = ['train', 'test'].flatMap((part) =>
  ['human', 'animal', 'cartoon'].map((domain) => ({ file: `HAC_${part}_only_${domain}.csv`, format: 'hac-csv' as const })),
);
/** The EPIC-Kitchens Far-OOD set is all of D3 (all eight verbs). */
const EPIC_ALL = pkl('D3_train.pkl', 'D3_val.pkl', 'D3_test.pkl');
const HAC_SET: OodSetDefinition = { name: 'HAC', title: 'HAC (human, animal, cartoon)', size: 3381, lists: HAC_LISTS };
const EPIC_SET: OodSetDefinition = { name: 'EPIC', title: 'EPIC-Kitchens (D3)', size: 4871, lists: EPIC_ALL };

function nearLists(prefix: string, ext: 'txt' | 'pkl') {
  const make = ext === 'txt' ? txt : pkl;
  return {
    splitLists: { train: make(`${prefix}_train_near_ood.${ext}`), val: make(`${prefix}_val_near_ood.${ext}`), test: make(`${prefix}_test_near_ood.${ext}`) },
    oodLists: make(`${prefix}_eval_near_ood.${ext}`),
  };
}

/** EPIC-Kitchens and Kinetics-600 Near-OOD: two-modality sets with audio that upstream never trained. */
const VA_AF_EXTRAPOLATED =
  'video + audio and audio + flow were not trained upstream: their epochs and weights are copied from video + flow';

const HMDB_NEAR = nearLists('HMDB', 'txt');
const UCF_NEAR = nearLists('UCF', 'txt');
const EPIC_NEAR = nearLists('D3', 'pkl');
const KINETICS_NEAR = nearLists('Kinetics', 'txt');

export const MULTIOOD_DEFINITIONS: readonly MultioodDefinition[] = [
  {
    id: 'hmdb51-near',
    title: 'HMDB51 25/26 Near-OOD',
    setting: 'near',
    dataset: 'HMDB',
    idClasses: 25,
    oodClasses: 26,
    modalities: VIDEO_FLOW,
    modalitySets: [['video', 'flow']],
    sizes: { train: 2074, val: 445, test: 459 },
    oodSets: [{ name: 'near', title: 'HMDB51 classes 25-50', size: 3744, lists: HMDB_NEAR.oodLists }],
    splitLists: HMDB_NEAR.splitLists,
    fitSplit: 'train',
    training: training([50, 50, 50], 1.0, [0.5, 0.5, 0.5, 10]),
    classNameSource: 'path-folder',
  },
  {
    id: 'ucf101-near',
    title: 'UCF101 50/51 Near-OOD',
    setting: 'near',
    dataset: 'UCF',
    idClasses: 50,
    oodClasses: 51,
    modalities: VIDEO_FLOW,
    modalitySets: [['video', 'flow']],
    sizes: { train: 4669, val: 1005, test: 1030 },
    oodSets: [{ name: 'near', title: 'UCF101 classes 50-100', size: 6616, lists: UCF_NEAR.oodLists }],
    splitLists: UCF_NEAR.splitLists,
    fitSplit: 'train',
    training: training([50, 50, 50], 1.0, [0.5, 0.5, 0.5, 10]),
    classNameSource: 'ucf-file-name',
  },
  {
    id: 'epic-kitchens-near',
    title: 'EPIC-Kitchens 4/4 Near-OOD',
    setting: 'near',
    dataset: 'EPIC',
    idClasses: 4,
    oodClasses: 4,
    modalities: VIDEO_AUDIO_FLOW,
    modalitySets: VAF_SETS,
    sizes: { train: 2484, val: 531, test: 536 },
    oodSets: [{ name: 'near', title: 'EPIC-Kitchens wash, cut, mix, pour', size: 1320, lists: EPIC_NEAR.oodLists }],
    splitLists: EPIC_NEAR.splitLists,
    fitSplit: 'train',
    // Upstream trained A2D alone for 50 epochs here, but A2D + NP-Mix for 20.
    training: training([20, 50, 20], 1.0, [0.1, 0.1, 0.1, 10]),
    trainingByModalitySet: [{ modalities: ['video', 'audio', 'flow'], training: training([20, 50, 20], 1.0, [0.5, 0.5, 0.5, 10]) }],
    extrapolated: [
      'A2D-only runs with video + audio + flow were not run upstream (weight 1.0, 50 epochs assumed)',
      VA_AF_EXTRAPOLATED,
    ],
    classNames: EPIC_VERBS.slice(0, 4),
    classNameSource: 'definition',
  },
  {
    id: 'kinetics600-near',
    title: 'Kinetics-600 129/100 Near-OOD',
    setting: 'near',
    dataset: 'Kinetics',
    idClasses: 129,
    oodClasses: 100,
    modalities: VIDEO_AUDIO_FLOW,
    modalitySets: VAF_SETS,
    sizes: { train: 22549, val: 4773, test: 4902 },
    oodSets: [{ name: 'near', title: 'Kinetics-600 classes 129-228', size: 10000, lists: KINETICS_NEAR.oodLists }],
    splitLists: KINETICS_NEAR.splitLists,
    fitSplit: 'val',
    training: training([20, 20, 20], 1.0, [0.1, 0.1, 0.1, 10]),
    trainingByModalitySet: [{ modalities: ['video', 'audio', 'flow'], training: training([20, 20, 20], 1.0, [0.5, 0.5, 0.5, 10]) }],
    extrapolated: [
      'A2D-only runs with video + audio + flow were not run upstream (weight 1.0, 20 epochs assumed)',
      VA_AF_EXTRAPOLATED,
    ],
    classNameSource: 'path-folder',
  },
  {
    id: 'hmdb51-far',
    title: 'HMDB51 Far-OOD (43 classes)',
    setting: 'far',
    dataset: 'HMDB',
    idClasses: 43,
    modalities: VIDEO_FLOW,
    modalitySets: [['video', 'flow']],
    sizes: { train: 3953, val: 843, test: 877 },
    oodSets: [
      { name: 'UCF', title: 'UCF101 (overlapping classes removed)', size: 1351, lists: txt('ID_HMDB_OOD_UCF.txt') },
      { name: 'Kinetics', title: 'Kinetics-600 229-class subset, test', size: 8694, lists: txt('ID_HMDB_OOD_Kinetics.txt') },
      HAC_SET,
      EPIC_SET,
    ],
    splitLists: { train: txt('HMDB_train.txt'), val: txt('HMDB_val.txt'), test: txt('HMDB_test.txt') },
    fitSplit: 'train',
    training: training([50, 50, 50], 1.0, [0.1, 0.1, 0.1, 10]),
    extrapolated: ['A2D-only runs were not run upstream for Far-OOD (weight 1.0 and the A2D + NP-Mix epochs assumed)'],
    excludedClasses: ['chew', 'climb_stairs', 'drink', 'eat', 'pick', 'pour', 'ride_horse', 'run'],
    classNameSource: 'path-folder',
  },
  {
    id: 'kinetics600-far',
    title: 'Kinetics-600 Far-OOD (229 classes)',
    setting: 'far',
    dataset: 'Kinetics',
    idClasses: 229,
    modalities: VIDEO_FLOW,
    modalitySets: [['video', 'flow']],
    sizes: { train: 40048, val: 8463, test: 8694 },
    oodSets: [
      { name: 'HMDB', title: 'HMDB51 (all 43 non-overlapping classes)', size: 5673, lists: txt('ID_Kinetics_OOD_HMDB.txt') },
      { name: 'UCF', title: 'UCF101 (overlapping classes removed)', size: 1810, lists: txt('ID_Kinetics_OOD_UCF.txt') },
      HAC_SET,
      EPIC_SET,
    ],
    splitLists: { train: txt('Kinetics_train.txt'), val: txt('Kinetics_val.txt'), test: txt('Kinetics_test.txt') },
    fitSplit: 'val',
    training: training([10, 10, 10], 1.0, [0.1, 0.1, 0.1, 3]),
    extrapolated: ['A2D-only runs were not run upstream for Far-OOD (weight 1.0 and the A2D + NP-Mix epochs assumed)'],
    classNameSource: 'path-folder',
  },
];

export function multioodDefinitionById(id: string): MultioodDefinition | undefined {
  return MULTIOOD_DEFINITIONS.find((d) => d.id === id);
}

/** The upstream settings for a modality set (the default set's unless one is listed for it). */
export function trainingDefaultsFor(def: MultioodDefinition, modalities: readonly string[]): TrainingDefaults {
  const key = modalities.join(',');
  return def.trainingByModalitySet?.find((t) => t.modalities.join(',') === key)?.training ?? def.training;
}
