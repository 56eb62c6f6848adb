import { z } from 'zod';
import { matrix, sliceCols } from '../linalg/matrix.ts';
import { applyHead, rowArgmax, rowLogSumExp } from '../logits.ts';
import { defineScorer } from '../scorer.ts';
import { percentileBySelection } from './select.ts';

/**
 * Rectified activations: clip each modality's embedding at that modality's 90th percentile of
 * ID val activations, re-apply the fused head, score by energy. As the benchmark ran it, the
 * percentile is taken over all entries of the modality's slice, and the head is re-applied
 * offline (exact, because the head is linear).
 */
export const react = defineScorer({
  id: 'react',
  title: 'ReAct',
  summary: 'Clips each modality embedding at its 90th-percentile ID activation, re-applies the fused head and scores by energy.',
  paper: { title: 'ReAct: Out-of-distribution Detection With Rectified Activations (Sun et al., NeurIPS 2021)', url: 'https://arxiv.org/abs/2111.12797' },
  usesFitFeatures: false,
  usesValFeatures: true,
  settings: z.object({
    percentile: z.number().min(0).max(100).default(90),
    temperature: z.number().positive().default(1),
  }),
  fit(ctx, settings) {
    // numpy.percentile by selection (sliceCols makes the scratch copy): the same thresholds as
    // sorting the 11M val activations, in linear time.
    const thresholds = ctx.modalities.map((m) => percentileBySelection(sliceCols(ctx.val.features, m.start, m.end).data, settings.percentile));
    return {
      score(split) {
        const f = split.features;
        const clipped = matrix(f.rows, f.cols, Float64Array.from(f.data));
        ctx.modalities.forEach((m, k) => {
          const t = thresholds[k]!;
          for (let i = 0; i < f.rows; i++) {
            for (let j = i * f.cols + m.start; j < i * f.cols + m.end; j++) {
              if (clipped.data[j]! > t) clipped.data[j] = t;
            }
          }
        });
        const logits = applyHead(clipped, ctx.head);
        const T = settings.temperature;
        return { conf: rowLogSumExp(logits, T).map((v) => v * T), pred: rowArgmax(logits) };
      },
    };
  },
});
