/** Standardization and per-segment profiles in z-score units. */

export interface Standardization {
  mean: Float64Array;
  /** Population standard deviation; constant columns get 1 so their z-scores are 0. */
  std: Float64Array;
  invStd: Float64Array;
}

/**
 * Column means and standard deviations over all rows in one pass. Values are shifted by the first
 * row before summing squares, which keeps the variance accurate when means are large.
 */
export function computeStandardization(data: Float64Array | Float32Array, n: number, d: number): Standardization {
  const shift = new Float64Array(d);
  for (let t = 0; t < d; t++) shift[t] = n > 0 ? data[t] : 0;
  const sum = new Float64Array(d);
  const sq = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const oi = i * d;
    for (let t = 0; t < d; t++) {
      const v = data[oi + t] - shift[t];
      sum[t] += v;
      sq[t] += v * v;
    }
  }
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  const invStd = new Float64Array(d);
  const count = Math.max(1, n);
  for (let t = 0; t < d; t++) {
    const m = sum[t] / count;
    mean[t] = shift[t] + m;
    const s = Math.sqrt(Math.max(0, sq[t] / count - m * m));
    std[t] = s > 1e-12 * Math.max(1, Math.abs(mean[t])) ? s : 1;
    invStd[t] = 1 / std[t];
  }
  return { mean, std, invStd };
}

/** Standardized copy of the given rows, gathered into a dense row-major matrix. */
export function gatherStandardized(
  data: Float64Array | Float32Array,
  d: number,
  rows: Int32Array,
  standardization: Pick<Standardization, "mean" | "invStd"> | null,
): Float64Array {
  const out = new Float64Array(rows.length * d);
  for (let r = 0; r < rows.length; r++) {
    const oi = rows[r] * d;
    for (let t = 0; t < d; t++) {
      out[r * d + t] = standardization === null ? data[oi + t] : (data[oi + t] - standardization.mean[t]) * standardization.invStd[t];
    }
  }
  return out;
}

export interface DistinguishingFeature {
  feature: string;
  z: number;
  direction: "high" | "low";
}

/** Features ordered by |z| (largest first, ties by column order), at most `limit`, ignoring |z| < minAbs. */
export function topFeatures(features: readonly string[], z: ArrayLike<number>, limit: number, minAbs = 0): DistinguishingFeature[] {
  const order = features.map((_, i) => i).filter((i) => Math.abs(z[i]) >= minAbs);
  order.sort((a, b) => Math.abs(z[b]) - Math.abs(z[a]) || a - b);
  return order.slice(0, limit).map((i) => ({ feature: features[i], z: round(z[i]), direction: z[i] >= 0 ? "high" : "low" }));
}

/** Rounds to 4 decimals: profiles are read by people and LLMs, and rounding keeps JSON small. */
export function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Feature-name → value record (rounded). */
export function toRecord(features: readonly string[], values: ArrayLike<number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < features.length; i++) out[features[i]] = round(values[i]);
  return out;
}
