import { z } from 'zod';
import { rowMax } from '../logits.ts';
import { defineScorer } from '../scorer.ts';

export const maxlogit = defineScorer({
  id: 'maxlogit',
  title: 'MaxLogit',
  summary: 'The largest fused logit, unnormalised: avoids the softmax washing out evidence.',
  paper: { title: 'Scaling Out-of-Distribution Detection for Real-World Settings (Hendrycks et al., ICML 2022)', url: 'https://arxiv.org/abs/1911.11132' },
  usesFitFeatures: false,
  settings: z.object({}),
  fit: () => ({ score: (split) => ({ conf: rowMax(split.logits) }) }),
});
