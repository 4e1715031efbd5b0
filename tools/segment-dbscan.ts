import densityClustering from "density-clustering";
import { PCA } from "ml-pca";
import { pairwiseDistances } from "./segment-metrics.js";

/**
 * Outliers and dense niches with DBSCAN (density-clustering), bounded in time for any N:
 * - DBSCAN runs on a seeded uniform sample of at most `sampleSize` rows (default 2,000), so its
 *   cost is fixed: one s × s distance matrix (reused from the silhouette step when the rows are the
 *   same) and s region queries answered from it. For N ≤ sampleSize every customer is examined.
 * - When there are many features (d > pcaAbove) the sample is projected onto its leading principal
 *   components first, where Euclidean density is more meaningful.
 * - eps comes from the k-distance heuristic: sort every point's distance to its (minPts-1)-th
 *   nearest neighbour and take the knee of that curve (largest gap below the chord).
 * Outliers are DBSCAN noise; their share estimates the population's. A niche is a DBSCAN cluster
 * that is small relative to the k-means segment most of its members belong to.
 */

export interface DbscanOptions {
  minPts: number | null;
  eps: number | null;
  nicheMaxShare: number;
  pcaAbove: number;
  pcaComponents: number;
}

export interface DensityResult {
  eps: number;
  minPts: number;
  space: string;
  /** Row positions (in the sample) of noise points. */
  noise: number[];
  /** DBSCAN clusters as sample row positions. */
  clusters: number[][];
}

/** Each point's distance to its `kth` nearest other point, sorted ascending. */
export function kDistances(dist: Float32Array | Float64Array, n: number, kth: number): Float64Array {
  const k = Math.max(1, Math.min(kth, n - 1));
  const out = new Float64Array(n);
  const best = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    best.fill(Infinity);
    const row = i * n;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const v = dist[row + j];
      if (v >= best[k - 1]) continue;
      let p = k - 1;
      while (p > 0 && best[p - 1] > v) {
        best[p] = best[p - 1];
        p--;
      }
      best[p] = v;
    }
    out[i] = best[k - 1];
  }
  return out.sort();
}

/** Knee of an ascending curve: the point farthest below the chord from first to last value. */
export function kneeValue(sorted: Float64Array): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const lo = sorted[0];
  const hi = sorted[n - 1];
  if (n < 3 || hi <= lo) return hi;
  let best = 0;
  let bestGap = -Infinity;
  for (let i = 0; i < n; i++) {
    const gap = i / (n - 1) - (sorted[i] - lo) / (hi - lo);
    if (gap > bestGap) {
      bestGap = gap;
      best = i;
    }
  }
  return sorted[best];
}

/**
 * DBSCAN on the first `s` rows of `x` (n × d standardized). `distances` may hold the precomputed
 * s × s Euclidean matrix of exactly those rows in the same space.
 */
export function densityScan(x: Float64Array, s: number, d: number, options: DbscanOptions, distances: Float32Array | null): DensityResult {
  let space = "standardized";
  let dist = distances;
  if (d > options.pcaAbove) {
    const rows = Array.from({ length: s }, (_, i) => Array.from(x.subarray(i * d, i * d + d)));
    const pca = new PCA(rows, { center: true, scale: false });
    const comps = Math.min(options.pcaComponents, d);
    const projected = pca.predict(rows, { nComponents: comps });
    const flat = new Float64Array(s * comps);
    for (let i = 0; i < s; i++) for (let t = 0; t < comps; t++) flat[i * comps + t] = projected.get(i, t);
    dist = pairwiseDistances(flat, s, comps);
    space = `pca-${comps}`;
    d = comps;
  } else if (dist === null) {
    dist = pairwiseDistances(x, s, d);
  }
  const minPts = options.minPts ?? Math.max(4, Math.min(20, 2 * d));
  const eps = options.eps ?? kneeValue(kDistances(dist, s, minPts - 1)) * (1 + 1e-9);
  const matrix = dist;
  const scan = new densityClustering.DBSCAN<number>();
  const points = Array.from({ length: s }, (_, i) => i);
  const clusters = scan.run(points, eps, minPts, (a, b) => matrix[a * s + b]);
  // The library leaves points first seen as noise in `noise` even after it absorbs them as border points.
  const inCluster = new Uint8Array(s);
  for (const c of clusters) for (const i of c) inCluster[i] = 1;
  const noise = [...new Set(scan.noise)].filter((i) => !inCluster[i]).sort((a, b) => a - b);
  return { eps, minPts, space, noise, clusters: clusters.map((c) => [...c].sort((a, b) => a - b)) };
}
