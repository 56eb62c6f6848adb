import { fromRows } from '../../linalg/matrix.ts';
import { buildKnnIndex } from '../../scorers/knn.ts';
const index = buildKnnIndex(fromRows([[2, 0], [0, 0.5], [-3, 0], [0, -1], [3, 3]]));
console.log(index.unit, index.sqNorms);
for (const k of [1,2,3,4,5]) console.log(k, index.kthDistances(fromRows([[5, 0], [0, 0], [0, 2]]), k));
