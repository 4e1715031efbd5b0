import { PCA } from "ml-pca";
import { describe, expect, it } from "vitest";
import { fitPca, pcaModelSchema, pcaTransform } from "./features-pca.js";

/** Six columns driven by two latent factors plus 5% noise. */
function correlated(n: number): number[][] {
  let s = 11;
  const next = () => (s = (s * 16807) % 2147483647) / 2147483647;
  const gauss = () => Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
  return Array.from({ length: n }, () => {
    const a = gauss();
    const b = gauss();
    const noise = () => 0.05 * gauss();
    return [a + noise(), 2 * a + noise(), -a + noise(), b + noise(), 0.5 * b + noise(), a + b + noise()];
  });
}

describe("PCA", () => {
  const data = correlated(2000);
  const model = fitPca(data, { featureNames: ["f1", "f2", "f3", "f4", "f5", "f6"] });

  it("explains almost all variance of two-factor data with two components", () => {
    expect(model.components.length).toBe(2); // default keeps 90% of the variance
    const explained = model.explained_variance_ratio[0] + model.explained_variance_ratio[1];
    expect(explained).toBeGreaterThan(0.99);
    expect(model.explained_variance_ratio[0]).toBeGreaterThanOrEqual(model.explained_variance_ratio[1]);
  });

  it("projects like ml-pca (up to sign), with uncorrelated scores whose variance is the eigenvalue", () => {
    const ours = pcaTransform(model, data);
    const ref = new PCA(data, { method: "covarianceMatrix" }).predict(data, { nComponents: 2 }).to2DArray();
    for (let k = 0; k < 2; k++) {
      const sign = Math.sign(ours[0][k]) === Math.sign(ref[0][k]) ? 1 : -1;
      for (let i = 0; i < 50; i++) expect(ours[i][k]).toBeCloseTo(sign * ref[i][k], 8);
    }
    const n = ours.length;
    const cov = (a: number, b: number) => ours.reduce((s, r) => s + r[a] * r[b], 0) / (n - 1);
    expect(Math.abs(cov(0, 1))).toBeLessThan(1e-8);
    expect(cov(0, 0)).toBeCloseTo(model.eigenvalues[0], 6);
  });

  it("is a JSON model with a deterministic sign: largest loading positive", () => {
    const reloaded = pcaModelSchema.parse(JSON.parse(JSON.stringify(model)));
    expect(pcaTransform(reloaded, data.slice(0, 5))).toEqual(pcaTransform(model, data.slice(0, 5)));
    for (const c of model.components) {
      const big = c.reduce((m, v) => (Math.abs(v) > Math.abs(m) ? v : m), 0);
      expect(big).toBeGreaterThan(0);
    }
    expect(fitPca(data, { nComponents: 4 }).components.length).toBe(4);
  });
});
