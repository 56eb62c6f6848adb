import { z } from 'zod';
import { rowSoftmax } from '../logits.ts';
import { defineScorer } from '../scorer.ts';

/**
 * Generalized entropy over the top-M softmax probabilities: -sum p^g (1 - p)^g.
 * The benchmark sets M to the number of ID classes, i.e. all of them (topM omitted).
 */
export const gen = defineScorer({
  id: 'gen',
  title: 'GEN',
  summary: 'Generalized entropy of the fused softmax, -Σ p^γ(1-p)^γ over the M most probable classes (γ = 0.1, M = all ID classes).',
  paper: { title: 'GEN: Pushing the Limits of Softmax-Based Out-of-Distribution Detection (Liu et al., CVPR 2023)', url: 'https://openaccess.thecvf.com/content/CVPR2023/html/Liu_GEN_Pushing_the_Limits_of_Softmax-Based_Out-of-Distribution_Detection_CVPR_2023_paper.html' },
  usesFitFeatures: false,
  settings: z.object({
    gamma: z.number().positive().default(0.1),
    topM: z.number().int().positive().optional().describe('classes summed over; default: all ID classes'),
  }),
  fit: (_ctx, { gamma, topM }) => ({
    score(split) {
      const probs = rowSoftmax(split.logits);
      const c = probs.cols;
      const m = Math.min(topM ?? c, c);
      const conf = new Float64Array(probs.rows);
      const top = new Float64Array(c);
      for (let i = 0; i < probs.rows; i++) {
        // the M largest probabilities in ascending order (all of them, in class order, when M = C)
        let row = probs.data;
        let from = i * c;
        if (m < c) {
          top.set(probs.data.subarray(i * c, (i + 1) * c));
          top.sort();
          row = top;
          from = c - m;
        }
        let sum = 0;
        for (let j = from, end = from + m; j < end; j++) {
          const p = row[j]!;
          sum += p ** gamma * (1 - p) ** gamma;
        }
        conf[i] = -sum;
      }
      return { conf };
    },
  }),
});
