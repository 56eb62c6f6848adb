import { z } from 'zod';
import { rowMaxAndLogSumExp } from '../logits.ts';
import { defineScorer } from '../scorer.ts';

/** Maximum softmax probability: exp(max logit - logsumexp), exact and overflow-free. */
export const msp = defineScorer({
  id: 'msp',
  title: 'MSP',
  summary: 'The largest softmax probability of the fused head: confident predictions are taken as in-distribution.',
  paper: {
    title: 'A Baseline for Detecting Misclassified and Out-of-Distribution Examples in Neural Networks (Hendrycks & Gimpel, ICLR 2017)',
    url: 'https://arxiv.org/abs/1610.02136',
  },
  usesFitFeatures: false,
  settings: z.object({}),
  fit: () => ({
    score(split) {
      const { max, logSumExp } = rowMaxAndLogSumExp(split.logits);
      const conf = new Float64Array(max.length);
      for (let i = 0; i < conf.length; i++) conf[i] = Math.exp(max[i]! - logSumExp[i]!);
      return { conf };
    },
  }),
});
