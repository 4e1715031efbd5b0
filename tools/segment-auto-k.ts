import { fitKMeans, type KMeansFit } from "./segment-kmeans.js";
import { daviesBouldin, pairwiseDistances, silhouetteFromDistances } from "./segment-metrics.js";

export interface CandidateK {
  k: number;
  /** Mean silhouette on the silhouette sample (higher is better; primary criterion). */
  silhouette: number;
  /** Davies-Bouldin index on the fit sample (lower is better; tie-break). */
  daviesBouldin: number;
  /** Inertia on the fit sample, for an elbow reading. */
  inertia: number;
  iterations: number;
}

export interface AutoKOptions {
  kMin: number;
  kMax: number;
  seed: number;
  nInit: number;
  maxIterations: number;
  tolerance: number;
  seedingRows: number;
  /** Silhouette uses the first this-many rows of the (randomly ordered) fit sample. */
  silhouetteRows: number;
  /** Candidates whose silhouette is within this of the best are compared by Davies-Bouldin. */
  tieTolerance: number;
}

export interface AutoKResult {
  chosen: KMeansFit;
  candidates: CandidateK[];
  silhouetteRows: number;
  /** Pairwise distances of the silhouette rows, kept for reuse (DBSCAN on the same rows). */
  distances: Float32Array;
}

/**
 * Fits k-means for every k in [kMin, kMax] on the fit sample `x` (rows in random order) and picks
 * k by silhouette, breaking near-ties (within `tieTolerance`) by the lower Davies-Bouldin index,
 * then the smaller k. The silhouette distance matrix is computed once and shared by all k.
 */
export function selectK(x: Float64Array, n: number, d: number, options: AutoKOptions): AutoKResult {
  const s = Math.min(n, options.silhouetteRows);
  const distances = pairwiseDistances(x, s, d);
  const candidates: CandidateK[] = [];
  const fits: KMeansFit[] = [];
  for (let k = options.kMin; k <= options.kMax; k++) {
    const fit = fitKMeans(x, n, d, {
      k,
      seed: options.seed + 104729 * k,
      nInit: options.nInit,
      maxIterations: options.maxIterations,
      tolerance: options.tolerance,
      seedingRows: options.seedingRows,
    });
    fits.push(fit);
    candidates.push({
      k,
      silhouette: silhouetteFromDistances(distances, s, fit.labels, k),
      daviesBouldin: daviesBouldin(x, n, d, fit.labels, fit.centers, k),
      inertia: fit.inertia,
      iterations: fit.iterations,
    });
  }
  const best = chooseCandidate(candidates, options.tieTolerance);
  return { chosen: fits[best], candidates, silhouetteRows: s, distances };
}

/** Index of the winning candidate: best silhouette, near-ties by Davies-Bouldin, then smaller k. */
export function chooseCandidate(candidates: readonly CandidateK[], tieTolerance: number): number {
  let top = -Infinity;
  for (const c of candidates) if (c.silhouette > top) top = c.silhouette;
  let best = -1;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i];
    if (c.silhouette < top - tieTolerance) continue;
    if (best === -1 || c.daviesBouldin < candidates[best].daviesBouldin) best = i;
  }
  return best;
}
