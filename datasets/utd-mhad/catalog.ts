/**
 * UTD-MHAD facts (Chen, Jafari & Kehtarnavaz, ICIP 2015; ../shared/data/utd-mhad/SOURCE.md)
 * and the listing of a local copy: `<dataDir>/utd-mhad/{Inertial,Skeleton,Depth}/
 * a<action>_s<subject>_t<trial>_<modality>.mat`, 27 actions x 8 subjects x 4 trials minus 3
 * corrupt recordings = 861 sequences.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { UtdModality } from './features.ts';

/** Action names, index a-1 for action a (1..27), as SOURCE.md lists them. */
export const UTD_ACTIONS: readonly string[] = [
  'right arm swipe to the left',
  'right arm swipe to the right',
  'right hand wave',
  'two hand front clap',
  'right arm throw',
  'cross arms in the chest',
  'basketball shoot',
  'right hand draw x',
  'right hand draw circle (clockwise)',
  'right hand draw circle (counter clockwise)',
  'draw triangle',
  'bowling (right hand)',
  'front boxing',
  'baseball swing from right',
  'tennis right hand forehand swing',
  'arm curl (two arms)',
  'tennis serve',
  'two hand push',
  'right hand knock on door',
  'right hand catch an object',
  'right hand pick up and throw',
  'jogging in place',
  'walking in place',
  'sit to stand',
  'stand to sit',
  'forward lunge (left foot forward)',
  'squat (two arms stretch out)',
];

export const UTD_SUBJECTS = 8;
export const UTD_TRIALS = 4;
/** The standard cross-subject protocol: train on odd subjects, test on even ones. */
export const UTD_TRAIN_SUBJECTS: readonly number[] = [1, 3, 5, 7];
export const UTD_TEST_SUBJECTS: readonly number[] = [2, 4, 6, 8];

export const UTD_FOLDER = 'utd-mhad';

const FOLDERS: Record<UtdModality, { folder: string; suffix: string; variable: string }> = {
  inertial: { folder: 'Inertial', suffix: 'inertial', variable: 'd_iner' },
  skeleton: { folder: 'Skeleton', suffix: 'skeleton', variable: 'd_skel' },
  depth: { folder: 'Depth', suffix: 'depth', variable: 'd_depth' },
};

export function modalityFolder(root: string, modality: UtdModality): string {
  return join(root, FOLDERS[modality].folder);
}

export function modalityVariable(modality: UtdModality): string {
  return FOLDERS[modality].variable;
}

export interface Sequence {
  /** 1..27 */
  readonly action: number;
  /** 1..8 */
  readonly subject: number;
  /** 1..4 */
  readonly trial: number;
  /** 'a<action>_s<subject>_t<trial>' */
  readonly id: string;
}

export function sequenceFile(root: string, seq: Sequence, modality: UtdModality): string {
  const f = FOLDERS[modality];
  return join(root, f.folder, `${seq.id}_${f.suffix}.mat`);
}

/**
 * The sequences that have a file in every one of `modalities`, sorted by (action, subject,
 * trial). A sequence present in one requested modality but missing in another is an error
 * naming the missing file: rows must align across modalities.
 */
export function listSequences(root: string, modalities: readonly UtdModality[]): Sequence[] {
  const byModality = modalities.map((m) => {
    const dir = modalityFolder(root, m);
    if (!existsSync(dir)) throw new Error(`${dir}: missing (UTD-MHAD needs ${Object.values(FOLDERS).map((f) => f.folder).join(', ')} under ${root})`);
    const pattern = new RegExp(`^a(\\d+)_s(\\d+)_t(\\d+)_${FOLDERS[m].suffix}\\.mat$`);
    const found = new Map<string, Sequence>();
    for (const name of readdirSync(dir)) {
      const match = pattern.exec(name);
      if (!match) continue;
      const [action, subject, trial] = [Number(match[1]), Number(match[2]), Number(match[3])];
      if (action < 1 || action > UTD_ACTIONS.length || subject < 1 || subject > UTD_SUBJECTS || trial < 1) {
        throw new Error(`${join(dir, name)}: action ${action}, subject ${subject} or trial ${trial} out of range`);
      }
      const id = `a${action}_s${subject}_t${trial}`;
      found.set(id, { action, subject, trial, id });
    }
    return found;
  });
  const all = new Map<string, Sequence>();
  for (const found of byModality) for (const [id, seq] of found) all.set(id, seq);
  for (const seq of all.values()) {
    modalities.forEach((m, k) => {
      if (!byModality[k]!.has(seq.id)) throw new Error(`${sequenceFile(root, seq, m)}: missing (the other modalities have ${seq.id})`);
    });
  }
  return [...all.values()].sort((a, b) => a.action - b.action || a.subject - b.subject || a.trial - b.trial);
}
