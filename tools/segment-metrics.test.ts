import { describe, expect, it } from "vitest";
import { createRandom } from "./segment-sample.js";
import { adjustedRandIndex, daviesBouldin, silhouetteScore } from "./segment-metrics.js";

// Reference values computed with scikit-learn 1.2 (adjusted_rand_score, silhouette_score, davies_bouldin_score).
const X = Float64Array.from([0, 0, 0, 1, 1, 0, 5, 5, 5, 6, 6, 5, 10, 0, 10, 1]);
const L = [0, 0, 0, 1, 1, 1, 2, 2];

describe("adjustedRandIndex", () => {
  it("matches scikit-learn on known cases", () => {
    expect(adjustedRandIndex([0, 0, 1, 2], [0, 0, 1, 1])).toBeCloseTo(0.5714285714285714, 12);
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1])).toBeCloseTo(-0.5, 12);
    expect(adjustedRandIndex(L, [1, 1, 0, 0, 0, 2, 2, 2])).toBeCloseTo(0.23809523809523808, 12);
  });

  it("is 1 for the same partition under renamed labels, string or number", () => {
    expect(adjustedRandIndex([0, 0, 1, 1, 2], ["b", "b", "a", "a", "c"])).toBe(1);
  });

  it("is near 0 for independent labelings", () => {
    const r = createRandom(3);
    const a = Array.from({ length: 20_000 }, () => r.int(5));
    const b = Array.from({ length: 20_000 }, () => r.int(5));
    expect(Math.abs(adjustedRandIndex(a, b))).toBeLessThan(0.01);
  });

  it("rejects labelings of different lengths", () => {
    expect(() => adjustedRandIndex([0, 1], [0])).toThrow(RangeError);
  });
});

describe("silhouette and Davies-Bouldin", () => {
  it("match scikit-learn", () => {
    expect(silhouetteScore(X, 8, 2, L, 3)).toBeCloseTo(0.8381087202020668, 7); // float32 distance matrix;
    const centers = Float64Array.from([1 / 3, 1 / 3, 16 / 3, 16 / 3, 10, 0.5]);
    expect(daviesBouldin(X, 8, 2, L, centers, 3)).toBeCloseTo(0.18058310574149639, 10);
  });

  it("score a single cluster as 0", () => {
    expect(silhouetteScore(X, 8, 2, new Int32Array(8), 1)).toBe(0);
  });
});
