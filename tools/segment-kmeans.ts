import { kmeans as mlKMeans } from "ml-kmeans";

/**
 * K-means in two layers:
 * - seeding: ml-kmeans's k-means++ (greedy, scikit-learn style) on a seeding subsample, plus one
 *   Lloyd step there;
 * - refinement: Lloyd iterations on the fit sample over flat Float64Arrays.
 * Why not ml-kmeans end to end: its Lloyd loop goes through number[][] and a distance callback per
 * pair; measured on 20,000 × 10 rows it spends ~50 ms per iteration at k = 12 against ~2 ms here,
 * and model selection runs dozens of fits. Given the same starting centers both converge to the
 * same partition (see segment-kmeans.test.ts).
 */

export interface KMeansFit {
  k: number;
  /** k × d, row-major. */
  centers: Float64Array;
  /** Cluster of each fitted row. */
  labels: Int32Array;
  /** Sum of squared distances of rows to their centers. */
  inertia: number;
  iterations: number;
  converged: boolean;
}

export interface KMeansOptions {
  k: number;
  seed: number;
  /** Restarts from different k-means++ seeds; the lowest inertia wins. */
  nInit: number;
  maxIterations: number;
  /** Convergence when the summed squared center shift falls below tol × mean feature variance. */
  tolerance: number;
  /** Rows handed to the k-means++ seeding (a prefix of the already random fit sample). */
  seedingRows: number;
}

/** k-means++ starting centers from ml-kmeans, computed on the first `seedingRows` rows of `x`. */
export function kmeansPlusPlusCenters(x: Float64Array, n: number, d: number, k: number, seed: number, seedingRows: number): Float64Array {
  const m = Math.max(k, Math.min(n, seedingRows));
  const rows: number[][] = new Array(m);
  for (let i = 0; i < m; i++) rows[i] = Array.from(x.subarray(i * d, i * d + d));
  const result = mlKMeans(rows, k, { seed, initialization: "kmeans++", maxIterations: 1 });
  const centers = new Float64Array(k * d);
  for (let c = 0; c < k; c++) for (let t = 0; t < d; t++) centers[c * d + t] = result.centroids[c][t];
  return centers;
}

/** Lloyd iterations from `initial` (not modified). Empty clusters are re-seeded at the row farthest from its center. */
export function lloyd(
  x: Float64Array,
  n: number,
  d: number,
  initial: Float64Array,
  k: number,
  maxIterations: number,
  tolerance: number,
): KMeansFit {
  let centers = Float64Array.from(initial);
  let next = new Float64Array(k * d);
  const labels = new Int32Array(n).fill(-1);
  const nearest = new Float64Array(n);
  const counts = new Float64Array(k);
  const tol = tolerance * meanVariance(x, n, d);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    iterations++;
    next.fill(0);
    counts.fill(0);
    assignRows(x, n, d, centers, k, labels, nearest);
    for (let i = 0; i < n; i++) {
      const c = labels[i];
      counts[c]++;
      const oc = c * d;
      const oi = i * d;
      for (let t = 0; t < d; t++) next[oc + t] += x[oi + t];
    }
    for (let c = 0; c < k; c++) {
      if (counts[c] > 0) {
        for (let t = 0; t < d; t++) next[c * d + t] /= counts[c];
      } else {
        const far = argmax(nearest);
        nearest[far] = -1;
        for (let t = 0; t < d; t++) next[c * d + t] = x[far * d + t];
      }
    }
    let shift = 0;
    for (let j = 0; j < k * d; j++) {
      const diff = next[j] - centers[j];
      shift += diff * diff;
    }
    const swap = centers;
    centers = next;
    next = swap;
    if (shift <= tol) {
      converged = true;
      break;
    }
  }
  const inertia = assignRows(x, n, d, centers, k, labels, nearest);
  return { k, centers, labels, inertia, iterations, converged };
}

/**
 * Best of `nInit` k-means++-seeded runs, by inertia. Restarts are raced: each runs
 * `raceIterations` Lloyd steps, and only the one with the lowest inertia then runs to convergence.
 * The ranking after a few steps almost always matches the ranking at convergence, and the race
 * costs a fraction of nInit full fits. Deterministic in `seed`.
 */
export function fitKMeans(x: Float64Array, n: number, d: number, options: KMeansOptions & { raceIterations?: number }): KMeansFit {
  const race = Math.max(1, Math.min(options.raceIterations ?? 3, options.maxIterations));
  let best: KMeansFit | null = null;
  for (let r = 0; r < options.nInit; r++) {
    const start = kmeansPlusPlusCenters(x, n, d, options.k, options.seed + 7919 * r, options.seedingRows);
    const fit = lloyd(x, n, d, start, options.k, options.nInit === 1 ? options.maxIterations : race, options.tolerance);
    if (best === null || fit.inertia < best.inertia) best = fit;
  }
  if (best === null) throw new RangeError("nInit must be at least 1");
  if (best.converged || best.iterations >= options.maxIterations) return best;
  const rest = lloyd(x, n, d, best.centers, options.k, options.maxIterations - best.iterations, options.tolerance);
  return { ...rest, iterations: best.iterations + rest.iterations };
}

/**
 * Pruning data for nearest-center search:
 * - `bounds`: quarter squared distances between centers, k × k. If ‖x − b‖² ≤ ¼‖b − c‖² then c
 *   cannot be closer to x than b (triangle inequality).
 * - `axis`/`proj`: a unit direction along which the centers spread most, and each center's
 *   coordinate on it. |axis·x − proj[c]| ≤ ‖x − c‖, so a center whose projection gap already
 *   exceeds the best distance is skipped, and the center nearest in projection is a good first guess.
 * On segmented data most distances are never computed.
 */
export interface CenterIndex {
  k: number;
  d: number;
  centers: Float64Array;
  bounds: Float64Array;
  axis: Float64Array;
  proj: Float64Array;
}

export function indexCenters(centers: Float64Array, k: number, d: number): CenterIndex {
  const bounds = new Float64Array(k * k);
  for (let a = 0; a < k; a++) {
    for (let b = a + 1; b < k; b++) {
      let s = 0;
      for (let t = 0; t < d; t++) {
        const diff = centers[a * d + t] - centers[b * d + t];
        s += diff * diff;
      }
      bounds[a * k + b] = s / 4;
      bounds[b * k + a] = s / 4;
    }
  }
  const axis = principalAxis(centers, k, d);
  const proj = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    let s = 0;
    for (let t = 0; t < d; t++) s += axis[t] * centers[c * d + t];
    proj[c] = s;
  }
  return { k, d, centers, bounds, axis, proj };
}

/** Leading eigenvector of the centers' scatter matrix by power iteration (deterministic start). */
function principalAxis(centers: Float64Array, k: number, d: number): Float64Array {
  const mean = new Float64Array(d);
  for (let c = 0; c < k; c++) for (let t = 0; t < d; t++) mean[t] += centers[c * d + t] / k;
  const cov = new Float64Array(d * d);
  for (let c = 0; c < k; c++) {
    for (let a = 0; a < d; a++) {
      const da = centers[c * d + a] - mean[a];
      for (let b = 0; b < d; b++) cov[a * d + b] += da * (centers[c * d + b] - mean[b]);
    }
  }
  let v = new Float64Array(d).fill(1 / Math.sqrt(d));
  for (let it = 0; it < 50; it++) {
    const w = new Float64Array(d);
    for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) w[a] += cov[a * d + b] * v[b];
    let norm = 0;
    for (let a = 0; a < d; a++) norm += w[a] * w[a];
    norm = Math.sqrt(norm);
    if (norm < 1e-12) break;
    for (let a = 0; a < d; a++) w[a] /= norm;
    v = w;
  }
  return v;
}

/**
 * Nearest center to the d values of `x` at offset `oi`, starting from `start` (-1: the center
 * nearest in projection). Writes the squared distance into `out[0]`.
 */
function nearestCenter(x: Float64Array, oi: number, index: CenterIndex, start: number, out: Float64Array): number {
  const { k, d, centers, bounds, axis, proj } = index;
  let px = 0;
  for (let t = 0; t < d; t++) px += axis[t] * x[oi + t];
  let best = start;
  if (best < 0) {
    best = 0;
    let gap = Math.abs(px - proj[0]);
    for (let c = 1; c < k; c++) {
      const g = Math.abs(px - proj[c]);
      if (g < gap) {
        gap = g;
        best = c;
      }
    }
  }
  let bestDist = 0;
  const os = best * d;
  for (let t = 0; t < d; t++) {
    const diff = x[oi + t] - centers[os + t];
    bestDist += diff * diff;
  }
  for (let c = 0; c < k; c++) {
    if (c === best) continue;
    const g = px - proj[c];
    if (g * g >= bestDist || bounds[best * k + c] >= bestDist) continue;
    const oc = c * d;
    let s = 0;
    for (let t = 0; t < d && s < bestDist; t++) {
      const diff = x[oi + t] - centers[oc + t];
      s += diff * diff;
    }
    if (s < bestDist) {
      bestDist = s;
      best = c;
    }
  }
  out[0] = bestDist;
  return best;
}

/**
 * Nearest center of every row; writes labels and squared distances, returns their sum. Current
 * `labels` serve as first guesses (Lloyd passes them from the previous iteration; -1 = none).
 */
export function assignRows(
  x: Float64Array,
  n: number,
  d: number,
  centers: Float64Array,
  k: number,
  labels: Int32Array,
  nearest: Float64Array,
): number {
  const index = indexCenters(centers, k, d);
  const out = new Float64Array(1);
  let inertia = 0;
  for (let i = 0; i < n; i++) {
    labels[i] = nearestCenter(x, i * d, index, labels[i], out);
    nearest[i] = out[0];
    inertia += out[0];
  }
  return inertia;
}

export interface StreamingAssignment {
  labels: Int32Array;
  /** Customers per segment. */
  counts: Float64Array;
  /** k × d sums of standardized features per segment (for exact profiles). */
  sums: Float64Array;
  /** Sum of the value column per segment, or null when there is none. */
  valueSums: Float64Array | null;
  inertia: number;
}

/**
 * One pass over all rows: standardize on the fly (when `mean`/`invStd` are given), assign to the
 * nearest center, and accumulate per-segment sums. No per-row allocation; memory is the label
 * array plus O(k·d).
 */
export function assignAll(
  data: Float64Array | Float32Array,
  n: number,
  d: number,
  standardization: { mean: Float64Array; invStd: Float64Array } | null,
  centers: Float64Array,
  k: number,
  value: { column: number } | { values: ArrayLike<number> } | null,
): StreamingAssignment {
  const labels = new Int32Array(n);
  const counts = new Float64Array(k);
  const sums = new Float64Array(k * d);
  const valueSums = value === null ? null : new Float64Array(k);
  const valueColumn = value !== null && "column" in value ? value.column : -1;
  const values = value !== null && "values" in value ? value.values : null;
  const z = new Float64Array(d);
  const mean = standardization?.mean ?? new Float64Array(d);
  const invStd = standardization?.invStd ?? new Float64Array(d).fill(1);
  const index = indexCenters(centers, k, d);
  const out = new Float64Array(1);
  let inertia = 0;
  for (let i = 0; i < n; i++) {
    const oi = i * d;
    for (let t = 0; t < d; t++) z[t] = (data[oi + t] - mean[t]) * invStd[t];
    const best = nearestCenter(z, 0, index, -1, out);
    labels[i] = best;
    counts[best]++;
    inertia += out[0];
    const ob = best * d;
    for (let t = 0; t < d; t++) sums[ob + t] += z[t];
    if (valueSums !== null) valueSums[best] += valueColumn >= 0 ? data[oi + valueColumn] : (values as ArrayLike<number>)[i];
  }
  return { labels, counts, sums, valueSums, inertia };
}

function meanVariance(x: Float64Array, n: number, d: number): number {
  if (n < 2) return 1;
  let total = 0;
  for (let t = 0; t < d; t++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += x[i * d + t];
    mean /= n;
    let v = 0;
    for (let i = 0; i < n; i++) {
      const diff = x[i * d + t] - mean;
      v += diff * diff;
    }
    total += v / n;
  }
  return total / d || 1;
}

function argmax(a: Float64Array): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
}
