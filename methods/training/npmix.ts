/**
 * NP-Mix (Nearest-Prototype Mixup), MultiOOD's outlier synthesis in embedding space
 * (docs/multiood-facts.md §5), CPU-side on plain typed arrays: the queues hold detached concatenated embeddings
 * [Z^1 .. Z^M], so the synthesised outliers are cut into modality slices by the caller and passed
 * through the unimodal heads only.
 *
 * Every random draw goes through the caller's seeded Random, in a fixed order, so a run is
 * reproducible from its seed.
 */
import type { Random } from '../random.ts';

/** Upstream --sample_number: embeddings kept per class. */
export const NPMIX_CAPACITY = 65;
/** Upstream --nn_k: nearest prototypes looked up, the class itself included (so k - 1 neighbours). */
export const NPMIX_K = 3;
/** Upstream --mixup_alpha: lambda ~ Beta(alpha, alpha). */
export const NPMIX_ALPHA = 10;

/**
 * One FIFO ring buffer per class of the last `capacity` embeddings (rows of `dim` floats) pushed
 * with that label. Row order inside a class is oldest first; pushing into a full queue evicts its
 * oldest row (upstream: torch.cat((queue[1:], new), 0)).
 */
export class ClassQueues {
  readonly numClasses: number;
  readonly dim: number;
  readonly capacity: number;
  private readonly data: Float32Array[];
  private readonly start: Int32Array;
  private readonly count: Int32Array;

  constructor(numClasses: number, dim: number, capacity: number = NPMIX_CAPACITY) {
    for (const [name, v] of [['numClasses', numClasses], ['dim', dim], ['capacity', capacity]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`ClassQueues: ${name} ${v}, expected a positive integer`);
    }
    this.numClasses = numClasses;
    this.dim = dim;
    this.capacity = capacity;
    this.data = Array.from({ length: numClasses }, () => new Float32Array(capacity * dim));
    this.start = new Int32Array(numClasses);
    this.count = new Int32Array(numClasses);
  }

  /** Appends rows (n x dim, row-major) with their labels, in order; evicts the oldest row of a full class. */
  push(embeddings: Float32Array, labels: Int32Array): void {
    const n = labels.length;
    if (embeddings.length !== n * this.dim) {
      throw new Error(`ClassQueues.push: ${embeddings.length} values for ${n} rows of dim ${this.dim}`);
    }
    for (let i = 0; i < n; i++) {
      const c = labels[i]!;
      this.checkClass('push', c);
      const cnt = this.count[c]!;
      let slot: number;
      if (cnt < this.capacity) {
        slot = (this.start[c]! + cnt) % this.capacity;
        this.count[c] = cnt + 1;
      } else {
        slot = this.start[c]!;
        this.start[c] = (slot + 1) % this.capacity;
      }
      this.data[c]!.set(embeddings.subarray(i * this.dim, (i + 1) * this.dim), slot * this.dim);
    }
  }

  /** Rows queued for class c (0 .. capacity). */
  size(c: number): number {
    this.checkClass('size', c);
    return this.count[c]!;
  }

  /** Whether class c holds `capacity` rows. */
  isFull(c: number): boolean {
    return this.size(c) === this.capacity;
  }

  /**
   * Whether every class queue is full: upstream synthesises outliers only from then on (its
   * queues fill up first, and NP-Mix starts at the first step where all are full and
   * epoch >= start_epoch). Gate npmixOutliers on this to mirror upstream exactly.
   */
  allFull(): boolean {
    for (let c = 0; c < this.numClasses; c++) if (this.count[c]! < this.capacity) return false;
    return true;
  }

  /** Empties every queue. */
  clear(): void {
    this.start.fill(0);
    this.count.fill(0);
  }

  /** A copy of the i-th oldest row of class c (0 <= i < size(c)). */
  row(c: number, i: number): Float32Array {
    this.checkClass('row', c);
    if (!Number.isInteger(i) || i < 0 || i >= this.count[c]!) {
      throw new Error(`ClassQueues.row: index ${i} outside class ${c}'s ${this.count[c]} rows`);
    }
    const slot = (this.start[c]! + i) % this.capacity;
    return this.data[c]!.slice(slot * this.dim, (slot + 1) * this.dim);
  }

  /** A copy of all rows of class c, oldest first (size(c) x dim). */
  rows(c: number): Float32Array {
    const n = this.size(c);
    const out = new Float32Array(n * this.dim);
    for (let i = 0; i < n; i++) {
      const slot = (this.start[c]! + i) % this.capacity;
      out.set(this.data[c]!.subarray(slot * this.dim, (slot + 1) * this.dim), i * this.dim);
    }
    return out;
  }

  /**
   * Prototypes: the mean of the queued rows of every non-empty class (accumulated in float64),
   * classes ascending.
   */
  prototypes(): { classes: number[]; means: Float32Array } {
    const classes: number[] = [];
    for (let c = 0; c < this.numClasses; c++) if (this.count[c]! > 0) classes.push(c);
    const means = new Float32Array(classes.length * this.dim);
    const acc = new Float64Array(this.dim);
    classes.forEach((c, k) => {
      acc.fill(0);
      const n = this.count[c]!;
      const buf = this.data[c]!;
      // the ring's occupied slots are exactly 0 .. n-1 whatever `start` is (n < capacity only before wrapping)
      for (let s = 0; s < n; s++) {
        for (let d = 0; d < this.dim; d++) acc[d]! += buf[s * this.dim + d]!;
      }
      for (let d = 0; d < this.dim; d++) means[k * this.dim + d] = acc[d]! / n;
    });
    return { classes, means };
  }

  /** One uniformly drawn queued row of class c (a copy); one rng.int draw. */
  sample(c: number, rng: Random): Float32Array {
    const n = this.size(c);
    if (n === 0) throw new Error(`ClassQueues.sample: class ${c} has no queued embeddings`);
    return this.row(c, rng.int(n));
  }

  private checkClass(where: string, c: number): void {
    if (!Number.isInteger(c) || c < 0 || c >= this.numClasses) {
      throw new Error(`ClassQueues.${where}: class ${c} outside 0..${this.numClasses - 1}`);
    }
  }
}

/** Squared Euclidean distance between rows a and b of a row-major float array, in float64. */
export function squaredDistance(x: Float32Array, dim: number, a: number, b: number): number {
  let s = 0;
  for (let d = 0; d < dim; d++) {
    const t = x[a * dim + d]! - x[b * dim + d]!;
    s += t * t;
  }
  return s;
}

/**
 * Indices (into the prototype rows) of the `count` prototypes nearest to row `self`, self
 * excluded, nearest first; ties go to the lower index. Upstream queries a KD-tree for the k
 * nearest prototypes and drops the first hit, which is the class itself unless another prototype
 * coincides with it; excluding self explicitly is the same thing without that corner case.
 */
export function nearestPrototypes(means: Float32Array, dim: number, self: number, count: number): number[] {
  const n = means.length / dim;
  const d2 = new Float64Array(n);
  for (let i = 0; i < n; i++) if (i !== self) d2[i] = squaredDistance(means, dim, self, i);
  return nearestFromRow(d2, self, count);
}

/** The `count` indices with the smallest d2 (self excluded), nearest first, ties to the lower index. */
function nearestFromRow(d2: ArrayLike<number>, self: number, count: number): number[] {
  const order: number[] = [];
  for (let i = 0; i < d2.length; i++) if (i !== self) order.push(i);
  order.sort((a, b) => d2[a]! - d2[b]! || a - b);
  return order.slice(0, count);
}

/** All pairwise squared distances between the prototype rows (n x n, float64), each pair once. */
function pairwiseSquaredDistances(means: Float32Array, dim: number): Float64Array {
  const n = means.length / dim;
  const out = new Float64Array(n * n);
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) {
      const v = squaredDistance(means, dim, a, b);
      out[a * n + b] = v;
      out[b * n + a] = v;
    }
  }
  return out;
}

export interface NpmixOptions {
  /** Nearest prototypes including the class itself (upstream nn_k); default 3, so 2 neighbours. */
  k?: number;
  /** lambda ~ Beta(alpha, alpha); default 10. */
  alpha?: number;
}

export interface NpmixResult {
  /** count x dim, row-major: one outlier per non-empty class, classes ascending. */
  outliers: Float32Array;
  count: number;
  /** [c, s] per outlier: the anchor class and the neighbour class it was mixed with. */
  pairs: [number, number][];
  /** lambda per outlier: outlier = lambda z_c + (1 - lambda) z_s. */
  lambdas: number[];
}

/**
 * One NP-Mix step. Prototypes = queue means of the non-empty classes. For each non-empty class c
 * (ascending): take its k - 1 nearest other prototypes (Euclidean; with fewer than k non-empty
 * classes, all the others), and draw, in this order (upstream's order):
 *   z_c = a uniformly drawn queued row of c,            (rng.int)
 *   s   = one of those neighbours, uniformly,          (rng.int)
 *   z_s = a uniformly drawn queued row of s,            (rng.int)
 *   lambda ~ Beta(alpha, alpha),                        (rng.beta)
 * and emit lambda z_c + (1 - lambda) z_s (computed in float64, stored as float32).
 * Empty classes are skipped; with fewer than two non-empty classes nothing is made (count 0).
 */
export function npmixOutliers(queues: ClassQueues, rng: Random, o: NpmixOptions = {}): NpmixResult {
  const k = o.k ?? NPMIX_K;
  const alpha = o.alpha ?? NPMIX_ALPHA;
  if (!Number.isInteger(k) || k < 2) throw new Error(`npmixOutliers: k ${k}, expected an integer >= 2 (the class itself + neighbours)`);
  if (!(alpha > 0)) throw new Error(`npmixOutliers: alpha ${alpha}, expected > 0`);
  const dim = queues.dim;
  const { classes, means } = queues.prototypes();
  const pairs: [number, number][] = [];
  const lambdas: number[] = [];
  if (classes.length < 2) return { outliers: new Float32Array(0), count: 0, pairs, lambdas };
  const neighbours = Math.min(k, classes.length) - 1;
  const outliers = new Float32Array(classes.length * dim);
  const n = classes.length;
  const d2 = pairwiseSquaredDistances(means, dim);
  classes.forEach((c, ci) => {
    const near = nearestFromRow(d2.subarray(ci * n, (ci + 1) * n), ci, neighbours);
    const zc = queues.sample(c, rng);
    const s = classes[near[rng.int(near.length)]!]!;
    const zs = queues.sample(s, rng);
    const lambda = rng.beta(alpha, alpha);
    for (let d = 0; d < dim; d++) outliers[ci * dim + d] = lambda * zc[d]! + (1 - lambda) * zs[d]!;
    pairs.push([c, s]);
    lambdas.push(lambda);
  });
  return { outliers, count: classes.length, pairs, lambdas };
}
