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
  // Adapter rank: at 2304 + 2048 inputs an epoch of HMDB51-near (2,074 rows) costs 2.6x the
  // heads-only epoch at rank 16, 4.6x at rank 64 and 20x at 256 (bench/results/encoder-cost.json);
  // rank 16 already lets A2D and NP-Mix reshape the features (README, "Encoders on feature folders").
  rank: 16,
  tau: 0.04, // upstream: LogitNorm temperature
  queueSize: 65, // upstream: NP-Mix embeddings per class
  nnK: 3, // upstream: NP-Mix nearest prototypes, the class itself included
  alpha: 10, // upstream: NP-Mix Beta(alpha, alpha)
};
