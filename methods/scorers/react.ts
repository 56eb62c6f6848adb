import { z } from 'zod';
import { matrix, sliceCols } from '../linalg/matrix.ts';
import { applyHead, rowArgmax, rowLogSumExp } from '../logits.ts';
import { defineScorer } from '../scorer.ts';
import { percentileBySelection } from './select.ts';

/** Query rows clipped per pass (bounds the temporary copy). */
const CHUNK = 2048;

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
    const T = settings.temperature;
    return {
      score(split) {
        const f = split.features;
        const conf = new Float64Array(f.rows);
        const pred = new Int32Array(f.rows);
        // Row blocks: the clipped copy is one reused block, never the whole split (that would
        // double its memory).
        const buffer = new Float64Array(Math.min(CHUNK, f.rows) * f.cols);
        for (let start = 0; start < f.rows; start += CHUNK) {
          const end = Math.min(f.rows, start + CHUNK);
          const clipped = matrix(end - start, f.cols, buffer.subarray(0, (end - start) * f.cols));
          clipped.data.set(f.data.subarray(start * f.cols, end * f.cols));
          ctx.modalities.forEach((m, k) => {
            const t = thresholds[k]!;
            for (let i = 0; i < clipped.rows; i++) {
              for (let j = i * f.cols + m.start; j < i * f.cols + m.end; j++) {
                if (clipped.data[j]! > t) clipped.data[j] = t;
              }
            }
          });
          const logits = applyHead(clipped, ctx.head);
          rowLogSumExp(logits, T).forEach((v, i) => (conf[start + i] = v * T));
          pred.set(rowArgmax(logits), start);
        }
        return { conf, pred };
      },
    };
  },
});
