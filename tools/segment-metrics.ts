/**
 * Clustering quality metrics as pure functions over row-major typed matrices (n rows × d columns).
 * Shared by the segment tool (model selection) and evals (archetype recovery).
 */

/**
 * Adjusted Rand index between two labelings of the same items (Hubert & Arabie 1985): 1 for
 * identical partitions up to renaming, about 0 for independent ones. Labels are any integers or
 * strings; both labelings must have the same length.
 */
export function adjustedRandIndex(a: ArrayLike<number | string>, b: ArrayLike<number | string>): number {
  if (a.length !== b.length) throw new RangeError(`labelings differ in length: ${a.length} vs ${b.length}`);
  const n = a.length;
  if (n < 2) return 1;
  const codeA = encode(a);
  const codeB = encode(b);
  const ka = codeA.classes;
  const kb = codeB.classes;
  const table = new Float64Array(ka * kb);
  for (let i = 0; i < n; i++) table[codeA.codes[i] * kb + codeB.codes[i]]++;
  const rows = new Float64Array(ka);
  const cols = new Float64Array(kb);
  let sumCells = 0;
  for (let i = 0; i < ka; i++) {
    for (let j = 0; j < kb; j++) {
      const c = table[i * kb + j];
      rows[i] += c;
      cols[j] += c;
      sumCells += choose2(c);
    }
  }
  let sumRows = 0;
  for (let i = 0; i < ka; i++) sumRows += choose2(rows[i]);
  let sumCols = 0;
  for (let j = 0; j < kb; j++) sumCols += choose2(cols[j]);
  const expected = (sumRows * sumCols) / choose2(n);
  const max = (sumRows + sumCols) / 2;
  // Both partitions trivial (all one cluster, or all singletons) and identical: perfect agreement.
  if (max === expected) return 1;
  return (sumCells - expected) / (max - expected);
}

function choose2(x: number): number {
  return (x * (x - 1)) / 2;
}

function encode(labels: ArrayLike<number | string>): { codes: Int32Array; classes: number } {
  const map = new Map<number | string, number>();
  const codes = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    let c = map.get(labels[i]);
    if (c === undefined) {
      c = map.size;
      map.set(labels[i], c);
    }
    codes[i] = c;
  }
  return { codes, classes: map.size };
}

/** Euclidean distances between all pairs of the first `n` rows, as an n × n Float32Array. */
export function pairwiseDistances(x: Float64Array, n: number, d: number): Float32Array {
  const out = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    const oi = i * d;
    for (let j = i + 1; j < n; j++) {
      const oj = j * d;
      let s = 0;
      for (let t = 0; t < d; t++) {
        const diff = x[oi + t] - x[oj + t];
        s += diff * diff;
      }
      const dist = Math.sqrt(s);
      out[i * n + j] = dist;
      out[j * n + i] = dist;
    }
  }
  return out;
}

/**
 * Mean silhouette coefficient from a precomputed n × n distance matrix (labels in [0, k)).
 * Points alone in their cluster score 0, as in scikit-learn. Returns 0 when fewer than two
 * clusters are present.
 */
export function silhouetteFromDistances(dist: Float32Array | Float64Array, n: number, labels: ArrayLike<number>, k: number): number {
  const sizes = new Float64Array(k);
  for (let i = 0; i < n; i++) sizes[labels[i]]++;
  let present = 0;
  for (let c = 0; c < k; c++) if (sizes[c] > 0) present++;
  if (present < 2) return 0;
  // Rows grouped by cluster (counting sort), so each cluster's distance sum accumulates in a
  // register instead of scattering into a per-cluster array: about twice as fast.
  const start = new Int32Array(k + 1);
  for (let c = 0; c < k; c++) start[c + 1] = start[c] + sizes[c];
  const fill = start.slice(0, k);
  const byCluster = new Int32Array(n);
  for (let i = 0; i < n; i++) byCluster[fill[labels[i]]++] = i;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const own = labels[i];
    if (sizes[own] <= 1) continue;
    const row = i * n;
    let a = 0;
    let b = Infinity;
    for (let c = 0; c < k; c++) {
      if (sizes[c] === 0) continue;
      let sum = 0;
      for (let p = start[c]; p < start[c + 1]; p++) sum += dist[row + byCluster[p]];
      if (c === own) a = sum / (sizes[c] - 1);
      else if (sum / sizes[c] < b) b = sum / sizes[c];
    }
    const denom = Math.max(a, b);
    total += denom > 0 ? (b - a) / denom : 0;
  }
  return total / n;
}

/** Mean silhouette coefficient of a labeling of the rows of `x` (O(n²): keep n in the thousands). */
export function silhouetteScore(x: Float64Array, n: number, d: number, labels: ArrayLike<number>, k: number): number {
  return silhouetteFromDistances(pairwiseDistances(x, n, d), n, labels, k);
}

/**
 * Davies-Bouldin index (lower is better): mean over clusters of the worst ratio of summed
 * within-cluster scatter to centroid separation. Empty clusters are ignored.
 */
export function daviesBouldin(x: Float64Array, n: number, d: number, labels: ArrayLike<number>, centers: Float64Array, k: number): number {
  const scatter = new Float64Array(k);
  const sizes = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    let s = 0;
    for (let t = 0; t < d; t++) {
      const diff = x[i * d + t] - centers[c * d + t];
      s += diff * diff;
    }
    scatter[c] += Math.sqrt(s);
    sizes[c]++;
  }
  let present = 0;
  for (let c = 0; c < k; c++) {
    if (sizes[c] > 0) {
      scatter[c] /= sizes[c];
      present++;
    }
  }
  if (present < 2) return 0;
  let total = 0;
  for (let i = 0; i < k; i++) {
    if (sizes[i] === 0) continue;
    let worst = 0;
    for (let j = 0; j < k; j++) {
      if (j === i || sizes[j] === 0) continue;
      let s = 0;
      for (let t = 0; t < d; t++) {
        const diff = centers[i * d + t] - centers[j * d + t];
        s += diff * diff;
      }
      const sep = Math.sqrt(s);
      const r = sep > 0 ? (scatter[i] + scatter[j]) / sep : Infinity;
      if (r > worst) worst = r;
    }
    total += worst;
  }
  return total / present;
}
