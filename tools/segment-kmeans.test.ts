import { kmeans } from "ml-kmeans";
import { describe, expect, it } from "vitest";
import { gaussianMixture } from "./segment-fixtures.js";
import { assignAll, fitKMeans, lloyd } from "./segment-kmeans.js";
import { adjustedRandIndex } from "./segment-metrics.js";

const d = 4;
const mix = gaussianMixture({ n: 3_000, d, centers: 5, seed: 5, spread: 2, noise: 1 });

describe("lloyd", () => {
  it("converges to the same partition as ml-kmeans from the same starting centers", () => {
    const start = [0, 1, 2, 3, 4].map((c) => Array.from(mix.data.subarray(c * 97 * d, c * 97 * d + d)));
    const rows = Array.from({ length: 3_000 }, (_, i) => Array.from(mix.data.subarray(i * d, i * d + d)));
    const reference = kmeans(rows, 5, { initialization: start, maxIterations: 300, tolerance: 1e-12 });
    const ours = lloyd(mix.data, 3_000, d, Float64Array.from(start.flat()), 5, 300, 1e-14);
    expect(adjustedRandIndex(ours.labels, reference.clusters)).toBe(1);
    reference.centroids.forEach((c, i) => c.forEach((v, t) => expect(ours.centers[i * d + t]).toBeCloseTo(v, 6)));
  });

  it("re-seeds empty clusters instead of leaving them empty", () => {
    const start = new Float64Array(3 * d).fill(1000); // all centers far away and identical
    const fit = lloyd(mix.data, 3_000, d, start, 3, 50, 1e-8);
    const sizes = [0, 0, 0];
    for (const l of fit.labels) sizes[l]++;
    expect(sizes.every((s) => s > 0)).toBe(true);
  });
});

describe("fitKMeans", () => {
  it("keeps the best of several restarts and is deterministic", () => {
    const opts = { k: 5, seed: 9, nInit: 4, maxIterations: 100, tolerance: 1e-6, seedingRows: 300 };
    const a = fitKMeans(mix.data, 3_000, d, opts);
    const b = fitKMeans(mix.data, 3_000, d, opts);
    expect(Array.from(a.centers)).toEqual(Array.from(b.centers));
    const single = [0, 1, 2, 3].map((r) => fitKMeans(mix.data, 3_000, d, { ...opts, nInit: 1, seed: 9 + 7919 * r }).inertia);
    expect(a.inertia).toBeLessThanOrEqual(Math.min(...single) * 1.0001);
    expect(adjustedRandIndex(a.labels, mix.truth)).toBeGreaterThan(0.9);
  });
});

describe("assignAll", () => {
  it("matches brute-force nearest centers, standardizing on the fly, and accumulates exact sums", () => {
    const centers = Float64Array.from([-1, -1, 0, 0, 1, 1, 0, 0, 0, 2, -2, 1]);
    const mean = Float64Array.from([0.5, -0.2, 0.1, 0]);
    const invStd = Float64Array.from([0.5, 1, 2, 1]);
    const out = assignAll(Float32Array.from(mix.data), 3_000, d, { mean, invStd }, centers, 3, { column: 1 });
    const counts = [0, 0, 0];
    for (let i = 0; i < 3_000; i++) {
      const z = [0, 1, 2, 3].map((t) => (Math.fround(mix.data[i * d + t]) - mean[t]) * invStd[t]);
      const dist = [0, 1, 2].map((c) => z.reduce((s, v, t) => s + (v - centers[c * d + t]) ** 2, 0));
      const best = dist.indexOf(Math.min(...dist));
      expect(out.labels[i]).toBe(best);
      counts[best]++;
    }
    expect(Array.from(out.counts)).toEqual(counts);
    expect(out.valueSums).not.toBeNull();
  });
});
