import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import { describe, expect, it } from "vitest";
import { fitLinear, fitLogistic, predictLinear } from "./uplift-linear.js";

function data(n: number, seed: number) {
  const rng = xoroshiro128plus(seed);
  const X: number[][] = [];
  for (let i = 0; i < n; i++) X.push([uniformFloat64(rng) * 4 - 2, uniformFloat64(rng) < 0.3 ? 1 : 0, 5]);
  return { X, rng };
}

describe("fitLogistic (IRLS)", () => {
  it("recovers known coefficients and a constant column gets no weight", () => {
    const { X, rng } = data(20000, 1);
    // logit p = -1 + 0.8 x0 - 1.5 x1 (x2 is constant).
    const y = X.map((x) => (uniformFloat64(rng) < 1 / (1 + Math.exp(-(-1 + 0.8 * x[0] - 1.5 * x[1]))) ? 1 : 0));
    const m = fitLogistic(X, y, { l2: 0.01 });
    expect(m.coef[0] / m.scale[0]).toBeCloseTo(0.8, 1);
    expect(m.coef[1] / m.scale[1]).toBeCloseTo(-1.5, 1);
    expect(m.coef[2]).toBeCloseTo(0, 6);
    const [p] = predictLinear(m, [[0, 0, 5]]);
    expect(p).toBeCloseTo(1 / (1 + Math.exp(1)), 1);
  });

  it("respects weights: weight 2 equals a duplicated row", () => {
    const X = [[0], [1], [2], [3], [0.5], [2.5]];
    const y = [0, 0, 1, 1, 1, 0];
    const weighted = fitLogistic(X, y, { weights: [2, 1, 1, 1, 1, 1] });
    const duplicated = fitLogistic([[0], ...X], [0, ...y]);
    expect(weighted.coef[0] / weighted.scale[0]).toBeCloseTo(duplicated.coef[0] / duplicated.scale[0], 6);
  });
});

describe("fitLinear (ridge)", () => {
  it("recovers a linear function", () => {
    const { X, rng } = data(2000, 2);
    const y = X.map((x) => 2 + 3 * x[0] - x[1] + (uniformFloat64(rng) - 0.5) * 0.1);
    const m = fitLinear(X, y, { l2: 1e-6 });
    const [a, b] = predictLinear(m, [
      [0, 0, 5],
      [1, 1, 5],
    ]);
    expect(a).toBeCloseTo(2, 1);
    expect(b).toBeCloseTo(4, 1);
  });
});
