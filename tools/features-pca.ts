import { PCA } from "ml-pca";
import { z } from "zod";
import type { Rows } from "./features-standardize.js";

/**
 * PCA (ml-pca) over standardized features, kept as a plain JSON model: means, the first k
 * components and their share of variance. Fit on a sample (the covariance method costs O(n·p²) and
 * holds the sample in memory), then project everyone in a streaming pass with `pcaTransformRow`.
 * Each component's sign is fixed so its largest loading is positive: refits on similar data give
 * comparable axes.
 */

export const pcaModelSchema = z.object({
  kind: z.literal("pca"),
  version: z.literal(1),
  feature_names: z.array(z.string()),
  means: z.array(z.number()),
  /** k × p: row i is component i's loadings. */
  components: z.array(z.array(z.number())),
  /** Variance along each kept component. */
  eigenvalues: z.array(z.number()),
  /** Share of total variance along each kept component. */
  explained_variance_ratio: z.array(z.number()),
  n: z.number().int().min(2),
});
export type PcaModel = z.infer<typeof pcaModelSchema>;

export interface PcaOptions {
  featureNames?: readonly string[];
  /** Components to keep; default: the fewest whose cumulative share reaches `varianceToKeep`. */
  nComponents?: number;
  /** Default 0.9. */
  varianceToKeep?: number;
}

export function fitPca(rows: Rows, options: PcaOptions = {}): PcaModel {
  const data: number[][] = [];
  for (const r of rows) data.push(Array.from(r));
  if (data.length < 2) throw new RangeError("PCA needs at least two rows");
  const p = data[0].length;
  const pca = new PCA(data, { method: "covarianceMatrix", center: true, scale: false });
  const S = pca.getEigenvalues().map((v) => Math.max(0, v)); // descending; clamp float noise below 0
  const total = S.reduce((a, b) => a + b, 0);
  const all = S.map((v) => (total > 0 ? v / total : 0));
  const eigen = pca.getEigenvectors(); // p × p, column i = component i
  let k = options.nComponents;
  if (k === undefined) {
    const target = options.varianceToKeep ?? 0.9;
    let cum = 0;
    k = 0;
    while (k < all.length && cum < target - 1e-12) cum += all[k++];
  }
  k = Math.max(1, Math.min(k, p));
  const components: number[][] = [];
  for (let i = 0; i < k; i++) {
    const c = eigen.getColumn(i);
    let big = 0;
    for (const v of c) if (Math.abs(v) > Math.abs(big)) big = v;
    components.push(big < 0 ? c.map((v) => -v) : c);
  }
  const means: number[] = new Array<number>(p).fill(0);
  for (const r of data) for (let j = 0; j < p; j++) means[j] += r[j] / data.length;
  const eigenvalues = S.slice(0, k);
  return {
    kind: "pca",
    version: 1,
    feature_names: options.featureNames ? [...options.featureNames] : Array.from({ length: p }, (_, j) => `x${j}`),
    means,
    components,
    eigenvalues,
    explained_variance_ratio: all.slice(0, k),
    n: data.length,
  };
}

export function pcaTransformRow(
  model: PcaModel,
  row: ArrayLike<number>,
  out: number[] = new Array<number>(model.components.length),
): number[] {
  const p = model.means.length;
  if (row.length !== p) throw new RangeError(`row has ${row.length} values, expected ${p}`);
  for (let i = 0; i < model.components.length; i++) {
    const c = model.components[i];
    let s = 0;
    for (let j = 0; j < p; j++) s += (row[j] - model.means[j]) * c[j];
    out[i] = s;
  }
  return out;
}

export function pcaTransform(model: PcaModel, rows: Rows): number[][] {
  const out: number[][] = [];
  for (const r of rows) out.push(pcaTransformRow(model, r));
  return out;
}
