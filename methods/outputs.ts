import type { FloatMatrix, Matrix } from './linalg/matrix.ts';

/**
 * Outputs: the one currency between training and scoring (see docs/multiood-facts.md §2).
 * Upstream dumps, a freshly trained model and a user's feature folder all become this shape;
 * a scorer never knows where its Outputs came from.
 */

/** Columns [start, end) of the feature matrix that belong to one modality. */
export interface ModalitySlice {
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

/** The fused linear head: logits = Z W^T + b. */
export interface FusedHead {
  /** C x D */
  readonly weight: Matrix;
  /** C */
  readonly bias: Float64Array;
}

/** What a model produced on one split (ID train / val / test, or one OOD set). */
export interface SplitOutputs {
  /** Fused-head logits, N x C (float32 as a model computes them, or float64 from a dump). */
  readonly logits: FloatMatrix;
  /** Concatenated per-modality embeddings Z = [Z^1 .. Z^M], N x D. */
  readonly features: FloatMatrix;
  /** Logits of each unimodal head, keyed by modality name, N x C each (when the model has them). */
  readonly modalityLogits?: Readonly<Record<string, FloatMatrix>>;
  /** Ground-truth labels on ID splits; absent (or ignored) on OOD sets. */
  readonly labels?: Int32Array;
}

/** Everything a scorer may look at when it fits. */
export interface FitContext {
  /** The ID split the benchmark fits statistics on (ID train, or ID val for Kinetics-600). */
  readonly fit: SplitOutputs;
  /** ID val: ReAct's clipping thresholds always come from here. */
  readonly val: SplitOutputs;
  readonly head: FusedHead;
  readonly modalities: readonly ModalitySlice[];
  readonly numClasses: number;
  /**
   * Memo shared by the scorers fitted on the same Outputs, so an expensive statistic
   * (e.g. the centred Gram matrix used by both Mahalanobis and ViM) is computed once.
   */
  readonly cache: Map<string, unknown>;
}

/** A model's outputs on every split of one benchmark: what training produces and dumps hold. */
export interface ModelOutputs {
  readonly numClasses: number;
  readonly modalities: readonly ModalitySlice[];
  readonly head: FusedHead;
  /** ID splits; train and val may be absent when no requested scorer reads them. */
  readonly id: { readonly train?: SplitOutputs; readonly val?: SplitOutputs; readonly test: SplitOutputs };
  /** OOD sets by name ('near' for a Near-OOD benchmark, else the OOD dataset's name). */
  readonly ood: ReadonlyMap<string, SplitOutputs>;
}
