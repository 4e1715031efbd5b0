import { z } from "zod";
import { InputError } from "../core/errors.js";
import { defineTool, toLangChainTool } from "./define-tool.js";
import { selectK, type CandidateK } from "./segment-auto-k.js";
import { densityScan } from "./segment-dbscan.js";
import {
  alignPreviousCentroids,
  resolveIdentity,
  transitionsFromCentroids,
  transitionsFromMemberships,
  type PreviousSegmentation,
  type TransitionCounts,
} from "./segment-identity.js";
import { assignAll, fitKMeans, type KMeansFit } from "./segment-kmeans.js";
import { nameSegments } from "./segment-naming.js";
import { computeStandardization, gatherStandardized, round, toRecord, topFeatures, type Standardization } from "./segment-profile.js";
import { createRandom, sampleIndices } from "./segment-sample.js";

/**
 * Customer segmentation: k-means with automatic k, DBSCAN outliers and niches, stable ids across
 * refreshes, and named profiles.
 *
 * Scale design (1M × 10 in well under a second): every model-selection step runs on one seeded
 * uniform sample — k-means candidates on ≤ fitSampleSize rows, silhouette on its first
 * ≤ silhouetteSampleSize rows, DBSCAN on its first ≤ dbscan.sampleSize rows — and then every
 * customer is assigned to the nearest centroid in one streaming pass over the typed matrix
 * (standardizing on the fly, accumulating exact per-segment profiles).
 *
 * Two entry points:
 * - `segmentMatrix` takes a typed row-major matrix and returns labels as an Int32Array plus a
 *   JSON summary; workflows use it for large N.
 * - the zod-wrapped tool (`segmentTool`, `createSegmentTool`) takes rows as JSON arrays and returns
 *   assignments as an id → segment id record; it validates every element, so keep it for
 *   moderate N (up to ~100k customers).
 */

// ---------------------------------------------------------------------------------------------
// Schemas

export const SegmentOptionsSchema = z.object({
  seed: z.number().int().default(42),
  /** Fixed k: skips automatic selection. */
  k: z.number().int().min(2).max(50).optional(),
  kMin: z.number().int().min(2).max(50).default(3),
  kMax: z.number().int().min(2).max(50).default(12),
  nInit: z.number().int().min(1).max(20).default(3),
  maxIterations: z.number().int().min(1).max(1000).default(100),
  tolerance: z.number().positive().default(1e-4),
  fitSampleSize: z.number().int().min(100).max(200_000).default(5_000),
  seedingRows: z.number().int().min(10).max(20_000).default(200),
  silhouetteSampleSize: z.number().int().min(50).max(5_000).default(1_500),
  /** Candidates within this silhouette of the best are decided by Davies-Bouldin. */
  tieTolerance: z.number().min(0).max(1).default(0.01),
  /** Column whose raw values give each segment's value share (when raw values are available). */
  monetaryFeature: z.string().default("monetary"),
  dbscan: z
    .object({
      enabled: z.boolean().default(true),
      sampleSize: z.number().int().min(50).max(5_000).default(1_500),
      minPts: z.number().int().min(2).nullable().default(null),
      eps: z.number().positive().nullable().default(null),
      nicheMaxShare: z.number().gt(0).max(1).default(0.35),
      pcaAbove: z.number().int().min(1).default(12),
      pcaComponents: z.number().int().min(1).default(8),
    })
    .prefault({}),
  identity: z
    .object({
      maxMatchDistance: z.number().positive().default(1),
      mergeShare: z.number().gt(0).max(1).default(0.5),
      splitShare: z.number().gt(0).max(1).default(0.25),
      idPrefix: z.string().default("seg-"),
    })
    .prefault({}),
});
export type SegmentOptions = z.infer<typeof SegmentOptionsSchema>;
export type SegmentOptionsInput = z.input<typeof SegmentOptionsSchema>;

export const PreviousSegmentationSchema = z.object({
  features: z.array(z.string()).min(1),
  segments: z.array(z.object({ id: z.string().min(1), centroid: z.array(z.number()) })),
  assignments: z.record(z.string(), z.string()).optional(),
  nextIdNumber: z.number().int().min(1).optional(),
  /** The previous run's standardization, to map its centroids into today's z-space. */
  standardization: z
    .object({ mean: z.array(z.number()), std: z.array(z.number()) })
    .nullable()
    .optional(),
});

export const SegmentInputSchema = z.object({
  ids: z.array(z.string().min(1)).min(1),
  features: z.array(z.string().min(1)).min(1),
  /** One row per customer, one value per feature. */
  rows: z.array(z.array(z.number())),
  /** True when rows are already z-scores; otherwise they are standardized here. */
  standardized: z.boolean().default(false),
  /** Raw monetary value per customer for value shares (overrides the monetary column). */
  values: z.array(z.number()).optional(),
  options: SegmentOptionsSchema.prefault({}),
  previous: PreviousSegmentationSchema.optional(),
  includeAssignments: z.boolean().default(true),
});
export type SegmentInput = z.input<typeof SegmentInputSchema>;

const FeatureZSchema = z.object({ feature: z.string(), z: z.number(), direction: z.enum(["high", "low"]) });

export const SegmentProfileSchema = z.object({
  id: z.string(),
  name: z.string(),
  archetype: z.string().nullable(),
  size: z.number().int().nonnegative(),
  share: z.number(),
  /** Share of total monetary value; null when no raw monetary values were available. */
  valueShare: z.number().nullable(),
  /** Mean z-score per feature over all members. */
  meanZ: z.record(z.string(), z.number()),
  topFeatures: z.array(FeatureZSchema),
  /** Fitted centroid (standardized space): pass it back as `previous` next run. */
  centroid: z.array(z.number()),
});
export type SegmentProfile = z.infer<typeof SegmentProfileSchema>;

const CandidateSchema = z.object({
  k: z.number().int(),
  silhouette: z.number(),
  daviesBouldin: z.number(),
  inertia: z.number(),
  iterations: z.number().int(),
});

export const DensityReportSchema = z.object({
  enabled: z.boolean(),
  sampleSize: z.number().int(),
  /** False when every customer was examined. */
  sampled: z.boolean(),
  eps: z.number(),
  minPts: z.number().int(),
  space: z.string(),
  clusters: z.number().int(),
  outliers: z.object({
    /** Customers DBSCAN labels noise (within the sample when sampled). */
    ids: z.array(z.string()),
    share: z.number(),
    estimatedTotal: z.number().int(),
  }),
  niches: z.array(
    z.object({
      id: z.string(),
      segmentId: z.string(),
      sampleSize: z.number().int(),
      estimatedSize: z.number().int(),
      shareOfSegment: z.number(),
      meanZ: z.record(z.string(), z.number()),
      /** Features where the niche differs most from its segment (z = niche mean, delta = niche − segment). */
      distinguishing: z.array(z.object({ feature: z.string(), z: z.number(), delta: z.number() })),
      memberIds: z.array(z.string()),
    }),
  ),
});

export const IdentityReportSchema = z.object({
  matched: z.array(z.object({ id: z.string(), distance: z.number() })),
  births: z.array(z.string()),
  deaths: z.array(z.object({ id: z.string(), reason: z.enum(["vanished", "merged"]), into: z.string().nullable() })),
  merges: z.array(z.object({ into: z.string(), from: z.array(z.string()) })),
  splits: z.array(z.object({ from: z.string(), into: z.array(z.string()) })),
  transitions: z
    .object({
      basis: z.enum(["memberships", "previous-centroids"]),
      from: z.array(z.string()),
      to: z.array(z.string()),
      counts: z.array(z.array(z.number())),
      entered: z.array(z.number()),
      left: z.array(z.number()),
    })
    .nullable(),
  stability: z.number().nullable(),
  nextIdNumber: z.number().int(),
});

export const SegmentSummarySchema = z.object({
  customers: z.number().int(),
  features: z.array(z.string()),
  k: z.number().int(),
  segments: z.array(SegmentProfileSchema),
  selection: z.object({
    method: z.enum(["auto", "fixed"]),
    chosenK: z.number().int(),
    candidates: z.array(CandidateSchema),
    fitSampleSize: z.number().int(),
    silhouetteSampleSize: z.number().int(),
  }),
  density: DensityReportSchema,
  identity: IdentityReportSchema,
  /** Column means and standard deviations used; null when the input was already standardized. */
  standardization: z.object({ mean: z.array(z.number()), std: z.array(z.number()) }).nullable(),
});
export type SegmentSummary = z.infer<typeof SegmentSummarySchema>;

export const SegmentOutputSchema = SegmentSummarySchema.extend({
  /** Customer id → segment id (omitted when includeAssignments is false). */
  assignments: z.record(z.string(), z.string()).optional(),
});
export type SegmentOutput = z.infer<typeof SegmentOutputSchema>;

// ---------------------------------------------------------------------------------------------
// Pure function over typed matrices

export interface FeatureMatrix {
  ids: readonly string[];
  features: readonly string[];
  /** Row-major, ids.length × features.length. */
  data: Float64Array | Float32Array;
  standardized?: boolean;
  values?: ArrayLike<number>;
}

export interface SegmentationResult {
  /** Index into `summary.segments` for every row. */
  labels: Int32Array;
  summary: SegmentSummary;
}

export function segmentMatrix(
  matrix: FeatureMatrix,
  optionsInput: SegmentOptionsInput = {},
  previous: PreviousSegmentation | null = null,
): SegmentationResult {
  const options = SegmentOptionsSchema.parse(optionsInput);
  const n = matrix.ids.length;
  const d = matrix.features.length;
  validateMatrix(matrix, n, d);

  // Standardizing is also the finiteness check: one non-finite value makes its column's stats non-finite.
  const stats = computeStandardization(matrix.data, n, d);
  assertFinite(
    matrix,
    d,
    Array.from(stats.mean, (v, t) => v + stats.std[t]),
  );
  const std: Standardization | null = matrix.standardized ? null : stats;
  const random = createRandom(options.seed);
  const fitRows = sampleIndices(n, options.fitSampleSize, random);
  const m = fitRows.length;
  const x = gatherStandardized(matrix.data, d, fitRows, std);

  const kMax = Math.min(options.k ?? options.kMax, m - 1);
  const kMin = Math.min(options.k ?? options.kMin, kMax);
  if (kMin < 2 || options.kMin > options.kMax) {
    throw new InputError(`cannot segment ${n} customers into k in [${options.kMin}, ${options.kMax}]`);
  }
  const kmeansOptions = {
    seed: options.seed,
    nInit: options.nInit,
    maxIterations: options.maxIterations,
    tolerance: options.tolerance,
    seedingRows: options.seedingRows,
  };
  let fit: KMeansFit;
  let candidates: CandidateK[] = [];
  let silhouetteRows = 0;
  let distances: Float32Array | null = null;
  if (kMin === kMax && options.k !== undefined) {
    fit = fitKMeans(x, m, d, { ...kmeansOptions, k: kMin });
  } else {
    const auto = selectK(x, m, d, {
      ...kmeansOptions,
      kMin,
      kMax,
      silhouetteRows: options.silhouetteSampleSize,
      tieTolerance: options.tieTolerance,
    });
    fit = auto.chosen;
    candidates = auto.candidates;
    silhouetteRows = auto.silhouetteRows;
    distances = auto.distances;
  }
  const k = fit.k;

  const monetaryColumn = matrix.features.indexOf(options.monetaryFeature);
  const value =
    matrix.values !== undefined
      ? { values: matrix.values }
      : !matrix.standardized && monetaryColumn >= 0
        ? { column: monetaryColumn }
        : null;
  // Canonical order: largest segment in the fit sample first (ties by fitted index), so first-run
  // ids follow size. Ordering the centers before the streaming pass saves relabelling every row.
  const sampleSizes = new Float64Array(k);
  for (let i = 0; i < m; i++) sampleSizes[fit.labels[i]]++;
  const order = Array.from({ length: k }, (_, c) => c).sort((a, b) => sampleSizes[b] - sampleSizes[a] || a - b);
  const centers = new Float64Array(k * d);
  order.forEach((c, r) => centers.set(fit.centers.subarray(c * d, c * d + d), r * d));
  const assigned = assignAll(matrix.data, n, d, std, centers, k, value);
  const labels = assigned.labels;
  const counts = Array.from(assigned.counts);
  const meanZ = counts.map((count, r) => {
    const mz = new Float64Array(d);
    for (let t = 0; t < d; t++) mz[t] = count > 0 ? assigned.sums[r * d + t] / count : centers[r * d + t];
    return mz;
  });
  const valueSums = assigned.valueSums === null ? null : Array.from(assigned.valueSums);

  // Identity against the previous run.
  let previousCenters: Float64Array | null = null;
  let transitions: TransitionCounts | null = null;
  if (previous !== null && previous.segments.length > 0) {
    previousCenters = toCurrentSpace(alignPreviousCentroids(matrix.features, previous), matrix.features, previous, std);
    if (previous.assignments !== undefined) {
      transitions = transitionsFromMemberships(matrix.ids, labels, k, previous);
    } else {
      const old = assignAll(matrix.data, n, d, std, previousCenters, previous.segments.length, null);
      transitions = transitionsFromCentroids(old.labels, labels, previous.segments.length, k);
    }
  }
  const identity = resolveIdentity(centers, k, d, previous, previousCenters, transitions, options.identity);
  const ids = identity.ids;

  const names = nameSegments(matrix.features, meanZ);
  let totalValue = 0;
  if (valueSums !== null) for (const v of valueSums) totalValue += v;
  const segments: SegmentProfile[] = ids.map((id, r) => ({
    id,
    name: names[r].name,
    archetype: names[r].archetype,
    size: counts[r],
    share: round(counts[r] / n),
    valueShare: valueSums !== null && totalValue > 0 ? round(valueSums[r] / totalValue) : null,
    meanZ: toRecord(matrix.features, meanZ[r]),
    topFeatures: topFeatures(matrix.features, meanZ[r], 3),
    centroid: Array.from(centers.subarray(r * d, r * d + d), (v) => round(v, 6)),
  }));

  const density = densityReport(matrix, x, m, d, fitRows, labels, ids, meanZ, options, silhouetteRows, distances);

  const summary: SegmentSummary = {
    customers: n,
    features: [...matrix.features],
    k,
    segments,
    selection: {
      method: candidates.length > 0 ? "auto" : "fixed",
      chosenK: k,
      candidates: candidates.map((c) => ({
        k: c.k,
        silhouette: round(c.silhouette),
        daviesBouldin: round(c.daviesBouldin),
        inertia: round(c.inertia, 2),
        iterations: c.iterations,
      })),
      fitSampleSize: m,
      silhouetteSampleSize: silhouetteRows,
    },
    density,
    identity: identity.report,
    standardization: std === null ? null : { mean: Array.from(std.mean, (v) => round(v, 6)), std: Array.from(std.std, (v) => round(v, 6)) },
  };
  return { labels, summary };
}

function validateMatrix(matrix: FeatureMatrix, n: number, d: number): void {
  if (n === 0 || d === 0) throw new InputError("segmentation needs at least one customer and one feature");
  if (matrix.data.length !== n * d) {
    throw new InputError(`feature matrix has ${matrix.data.length} values, expected ${n} customers × ${d} features`);
  }
  if (new Set(matrix.features).size !== d) throw new InputError("feature names must be unique");
  if (matrix.values !== undefined && matrix.values.length !== n) throw new InputError("values must have one entry per customer");
}

/** Throws on the first non-finite value; called only when column sums say there is one. */
function assertFinite(matrix: FeatureMatrix, d: number, sums: ArrayLike<number>): void {
  for (let t = 0; t < d; t++) {
    if (Number.isFinite(sums[t])) continue;
    for (let i = t; i < matrix.data.length; i += d) {
      if (!Number.isFinite(matrix.data[i])) {
        throw new InputError(`feature ${matrix.features[t]} of customer ${matrix.ids[(i - t) / d]} is not a finite number`);
      }
    }
  }
}

/** Maps previous centroids into today's z-space when both runs standardized raw features themselves. */
function toCurrentSpace(
  centers: Float64Array,
  features: readonly string[],
  previous: PreviousSegmentation,
  std: Standardization | null,
): Float64Array {
  const prevStd = previous.standardization;
  if (std === null || prevStd === undefined || prevStd === null) return centers;
  const d = features.length;
  const where = features.map((f) => previous.features.indexOf(f));
  const out = new Float64Array(centers.length);
  for (let i = 0; i < centers.length / d; i++) {
    for (let t = 0; t < d; t++) {
      const raw = centers[i * d + t] * prevStd.std[where[t]] + prevStd.mean[where[t]];
      out[i * d + t] = (raw - std.mean[t]) * std.invStd[t];
    }
  }
  return out;
}

function densityReport(
  matrix: FeatureMatrix,
  x: Float64Array,
  m: number,
  d: number,
  fitRows: Int32Array,
  labels: Int32Array,
  segmentIds: readonly string[],
  segmentMeanZ: readonly Float64Array[],
  options: SegmentOptions,
  silhouetteRows: number,
  distances: Float32Array | null,
): SegmentSummary["density"] {
  const n = matrix.ids.length;
  const s = Math.min(m, options.dbscan.sampleSize);
  if (!options.dbscan.enabled || s < 3) {
    return {
      enabled: false,
      sampleSize: 0,
      sampled: s < n,
      eps: 0,
      minPts: 0,
      space: "none",
      clusters: 0,
      outliers: { ids: [], share: 0, estimatedTotal: 0 },
      niches: [],
    };
  }
  const reuse = distances !== null && silhouetteRows === s ? distances : null;
  const scan = densityScan(x, s, d, options.dbscan, reuse);
  const scale = n / s;
  const k = segmentIds.length;
  const sampleCounts = new Float64Array(k);
  for (let i = 0; i < s; i++) sampleCounts[labels[fitRows[i]]]++;

  const niches: SegmentSummary["density"]["niches"] = [];
  const perSegment = new Int32Array(k);
  for (const cluster of scan.clusters) {
    const votes = new Float64Array(k);
    for (const i of cluster) votes[labels[fitRows[i]]]++;
    let host = 0;
    for (let c = 1; c < k; c++) if (votes[c] > votes[host]) host = c;
    const shareOfSegment = cluster.length / sampleCounts[host];
    if (shareOfSegment > options.dbscan.nicheMaxShare) continue;
    const mz = new Float64Array(d);
    for (const i of cluster) for (let t = 0; t < d; t++) mz[t] += x[i * d + t];
    for (let t = 0; t < d; t++) mz[t] /= cluster.length;
    const delta = Array.from(mz, (v, t) => v - segmentMeanZ[host][t]);
    const distinguishing = topFeatures(matrix.features, delta, 3).map((f) => {
      const t = matrix.features.indexOf(f.feature);
      return { feature: f.feature, z: round(mz[t]), delta: f.z };
    });
    perSegment[host]++;
    niches.push({
      id: `${segmentIds[host]}.niche-${perSegment[host]}`,
      segmentId: segmentIds[host],
      sampleSize: cluster.length,
      estimatedSize: Math.round(cluster.length * scale),
      shareOfSegment: round(shareOfSegment),
      meanZ: toRecord(matrix.features, mz),
      distinguishing,
      memberIds: cluster.map((i) => matrix.ids[fitRows[i]]),
    });
  }
  return {
    enabled: true,
    sampleSize: s,
    sampled: s < n,
    eps: round(scan.eps, 6),
    minPts: scan.minPts,
    space: scan.space,
    clusters: scan.clusters.length,
    outliers: {
      ids: scan.noise.map((i) => matrix.ids[fitRows[i]]),
      share: round(scan.noise.length / s),
      estimatedTotal: Math.round(scan.noise.length * scale),
    },
    niches,
  };
}

// ---------------------------------------------------------------------------------------------
// Tool

/** The tool's pure function: JSON rows in, JSON summary (and assignments) out. */
export function segmentCustomers(input: z.infer<typeof SegmentInputSchema>): SegmentOutput {
  const n = input.ids.length;
  const d = input.features.length;
  if (input.rows.length !== n) throw new InputError(`got ${input.rows.length} rows for ${n} ids`);
  if (new Set(input.ids).size !== n) throw new InputError("customer ids must be unique");
  const data = new Float64Array(n * d);
  input.rows.forEach((row, i) => {
    if (row.length !== d) throw new InputError(`row of customer ${input.ids[i]} has ${row.length} values for ${d} features`);
    data.set(row, i * d);
  });
  const result = segmentMatrix(
    { ids: input.ids, features: input.features, data, standardized: input.standardized, values: input.values },
    input.options,
    input.previous ?? null,
  );
  if (!input.includeAssignments) return result.summary;
  const ids = result.summary.segments.map((s) => s.id);
  const assignments: Record<string, string> = {};
  for (let i = 0; i < n; i++) assignments[input.ids[i]] = ids[result.labels[i]];
  return { ...result.summary, assignments };
}

export const segmentTool = defineTool({
  name: "segment_customers",
  description:
    "Segments customers from a feature matrix: k-means with k chosen by silhouette (Davies-Bouldin reported), " +
    "DBSCAN outliers and dense niches, segment ids kept stable against the previous run, and a named profile per " +
    "segment (size, value share, mean z-scores, distinguishing features).",
  input: SegmentInputSchema,
  output: SegmentOutputSchema,
  fn: segmentCustomers,
});

/** What an agent may choose when the matrix comes from a loader: options only. */
export const SegmentAgentArgsSchema = z.object({
  options: SegmentOptionsSchema.partial().optional(),
});

export interface SegmentToolDeps {
  /** Loads the current matrix (and the previous run) so the agent never handles raw rows. */
  loadInput?: () => Promise<Omit<SegmentInput, "options">> | Omit<SegmentInput, "options">;
}

/**
 * LangChain tool. With `loadInput`, the agent passes only options and gets the summary without
 * per-customer assignments; without it, the agent passes the full input.
 */
export function createSegmentTool(deps: SegmentToolDeps = {}) {
  const { loadInput } = deps;
  if (loadInput === undefined) return toLangChainTool(segmentTool);
  return toLangChainTool(segmentTool, {
    schema: SegmentAgentArgsSchema,
    adapt: async (args) => ({ ...(await loadInput()), options: args.options ?? {}, includeAssignments: false }),
  });
}
