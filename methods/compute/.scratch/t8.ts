import { initCompute } from '../index.ts';
import { matrix } from '../../linalg/matrix.ts';
import { buildKnnIndex } from '../../scorers/knn.ts';
await initCompute();
const fit = matrix(10000, 4352); for (let i = 0; i < fit.data.length; i++) fit.data[i] = Math.random();
const q = matrix(64, 4352); for (let i = 0; i < q.data.length; i++) q.data[i] = Math.random();
const idx = buildKnnIndex(fit);
for (let r = 0; r < 8; r++) { idx.kthDistances(q, 10); Bun.gc(true); await Bun.sleep(50); console.log(r, Math.round(process.memoryUsage().rss / 2 ** 20), 'MiB'); }
