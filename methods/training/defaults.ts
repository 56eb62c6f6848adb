/**
 * The one table of training constants. A benchmark's TrainingDefaults (datasets/benchmark.ts)
 * adds its epochs and loss weights and may override any entry here; a user's `--set` overrides
 * both. Entries marked "upstream" are the values of the MultiOOD code (docs/multiood-facts.md §5); the
 * others are this project's choices, with the reason next to them.
 */
export interface TrainingConstants {
  readonly lr: number;
  readonly weightDecay: number;
  readonly batchSize: number;
  readonly dropout: number;
  /** MLP encoder width */
  readonly hidden: number;
  /** adapter rank */
  readonly rank: number;
  readonly tau: number;
  readonly queueSize: number;
  readonly nnK: number;
  readonly alpha: number;
}

export const TRAINING_CONSTANTS: TrainingConstants = {
  lr: 1e-4, // upstream: Adam lr
  weightDecay: 1e-4, // upstream: Adam weight_decay (L2 added to the gradient)
  batchSize: 16, // upstream
  dropout: 0.5, // upstream: on each video / flow embedding (audio: none, see TrainingDefaults.noDropout)
  hidden: 128, // MLP encoder width for raw features (not upstream: upstream has backbones)
  // Adapter rank: measured on UTD-MHAD and on an HMDB-near-shaped folder (README, "Encoders on
  // feature folders"); 64 costs a few percent of an epoch at 2304 + 2048 inputs.
  rank: 64,
  tau: 0.04, // upstream: LogitNorm temperature
  queueSize: 65, // upstream: NP-Mix embeddings per class
  nnK: 3, // upstream: NP-Mix nearest prototypes, the class itself included
  alpha: 10, // upstream: NP-Mix Beta(alpha, alpha)
};
