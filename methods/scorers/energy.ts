import { z } from 'zod';
import { rowLogSumExp } from '../logits.ts';
import { defineScorer } from '../scorer.ts';

/** Negative free energy T * logsumexp(logits / T); the benchmark uses T = 1. */
export const energy = defineScorer({
  id: 'energy',
  title: 'Energy',
  summary: 'The negative free energy of the fused logits, T·logsumexp(logits/T), with T = 1.',
  paper: { title: 'Energy-based Out-of-distribution Detection (Liu et al., NeurIPS 2020)', url: 'https://arxiv.org/abs/2010.03759' },
  usesFitFeatures: false,
  settings: z.object({ temperature: z.number().positive().default(1) }),
  fit: (_ctx, { temperature }) => ({
    score(split) {
      const conf = rowLogSumExp(split.logits, temperature);
      for (let i = 0; i < conf.length; i++) conf[i]! *= temperature;
      return { conf };
    },
  }),
});
