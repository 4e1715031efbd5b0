import { z } from "zod";
import type { FeatureName } from "./features.js";

/**
 * Z-score standardization with the fitted means and standard deviations kept in a JSON model, so a
 * later refresh applies exactly the same transform. Skewed money and count features can go through a
 * signed log1p first (sign(x)·log(1 + |x|), defined for the negative `monetary` of refund-heavy
 * customers). A column with zero variance keeps std 1: it maps to x − mean (0 on the fit data)
 * instead of dividing by zero.
 */

/** Heavy-tailed money, count and duration features worth log1p before z-scoring. */
export const DEFAULT_LOG1P_FEATURES: readonly FeatureName[] = [
  "recency_days",
  "frequency",
  "monetary",
  "aov",
  "tenure_days",
  "mean_interpurchase_days",
  "overdue_ratio",
  "days_since_engagement",
  "exposures_7d",
  "exposures_30d",
  "unanswered_streak_email",
  "unanswered_streak_sms",
  "unanswered_streak_push",
  "unanswered_streak_in_app",
  "events_30d",
];

export const standardizerModelSchema = z.object({
  kind: z.literal("zscore"),
  version: z.literal(1),
  feature_names: z.array(z.string()),
  log1p: z.array(z.boolean()),
  means: z.array(z.number()),
  stds: z.array(z.number().positive()),
  /** Rows the model was fitted on. */
  n: z.number().int().min(0),
});
export type StandardizerModel = z.infer<typeof standardizerModelSchema>;

export type Rows = Iterable<ArrayLike<number>>;

export function signedLog1p(x: number): number {
  return x >= 0 ? Math.log1p(x) : -Math.log1p(-x);
}

export function signedExpm1(y: number): number {
  return y >= 0 ? Math.expm1(y) : -Math.expm1(-y);
}

/** Relative variance below which a column counts as constant (float noise of a constant column). */
const ZERO_VARIANCE = 1e-12;

/**
 * Fits means and population standard deviations in one streaming pass (Welford). `log1p` names the
 * columns to log-transform; by default DEFAULT_LOG1P_FEATURES among `featureNames`.
 */
export function fitStandardizer(
  rows: Rows,
  featureNames: readonly string[],
  options: { log1p?: readonly string[] } = {},
): StandardizerModel {
  const p = featureNames.length;
  const logSet = new Set<string>(options.log1p ?? DEFAULT_LOG1P_FEATURES);
  const log1p = featureNames.map((n) => logSet.has(n));
  const mean = new Float64Array(p);
  const m2 = new Float64Array(p);
  let n = 0;
  for (const row of rows) {
    if (row.length !== p) throw new RangeError(`row has ${row.length} values, expected ${p}`);
    n++;
    for (let j = 0; j < p; j++) {
      const x = log1p[j] ? signedLog1p(row[j]) : row[j];
      const d = x - mean[j];
      mean[j] += d / n;
      m2[j] += d * (x - mean[j]);
    }
  }
  const stds: number[] = [];
  for (let j = 0; j < p; j++) {
    const variance = n > 0 ? m2[j] / n : 0;
    const scale = Math.max(1, mean[j] * mean[j]);
    stds.push(variance > ZERO_VARIANCE * scale && Number.isFinite(variance) ? Math.sqrt(variance) : 1);
  }
  return { kind: "zscore", version: 1, feature_names: [...featureNames], log1p, means: Array.from(mean), stds, n };
}

/** Standardizes one row into `out` (a new array by default). */
export function standardizeRow(model: StandardizerModel, row: ArrayLike<number>, out: number[] = new Array<number>(row.length)): number[] {
  const p = model.means.length;
  if (row.length !== p) throw new RangeError(`row has ${row.length} values, expected ${p}`);
  for (let j = 0; j < p; j++) {
    const x = model.log1p[j] ? signedLog1p(row[j]) : row[j];
    out[j] = (x - model.means[j]) / model.stds[j];
  }
  return out;
}

export function standardize(model: StandardizerModel, rows: Rows): number[][] {
  const out: number[][] = [];
  for (const row of rows) out.push(standardizeRow(model, row));
  return out;
}

/** The inverse transform: back to the original units. */
export function unstandardize(model: StandardizerModel, rows: Rows): number[][] {
  const out: number[][] = [];
  const p = model.means.length;
  for (const row of rows) {
    const r = new Array<number>(p);
    for (let j = 0; j < p; j++) {
      const x = row[j] * model.stds[j] + model.means[j];
      r[j] = model.log1p[j] ? signedExpm1(x) : x;
    }
    out.push(r);
  }
  return out;
}
