import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import { describe, expect, it } from "vitest";
import { evaluateUplift, gainAt, keptShare, qiniCoefficient, qiniCurve, upliftAtK } from "./uplift-metrics.js";

/** Randomised test where treatment adds 0.3 to P(y) for half the customers (tau known). */
function synthetic(n: number, seed: number) {
  const rng = xoroshiro128plus(seed);
  const tau: number[] = [];
  const treated: boolean[] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const effect = uniformFloat64(rng) < 0.5 ? 0.3 : 0;
    const t = uniformFloat64(rng) < 0.5;
    tau.push(effect);
    treated.push(t);
    y.push(uniformFloat64(rng) < 0.1 + (t ? effect : 0) ? 1 : 0);
  }
  return { tau, treated, y };
}

describe("qiniCurve", () => {
  it("accumulates treated outcomes minus rescaled control outcomes, best score first", () => {
    // Scores 4..1: treated y=1, control y=0, treated y=0, control y=1.
    const curve = qiniCurve([4, 3, 2, 1], [true, false, true, false], [1, 0, 0, 1]);
    expect(curve.map((p) => p.n)).toEqual([0, 1, 2, 3, 4]);
    // n=1: 1 - 0; n=2: 1 - 0*1/1; n=3: 1 - 0*2/1 = 1; n=4: 1 - 1*2/2 = 0.
    expect(curve.map((p) => p.gain)).toEqual([0, 1, 1, 1, 0]);
  });

  it("treats equal scores as one step, so a constant score equals the random line", () => {
    const curve = qiniCurve([5, 5, 5, 5], [true, false, true, false], [1, 0, 1, 0]);
    expect(curve).toHaveLength(2);
    expect(gainAt(curve, 0.5)).toBeCloseTo(1);
    expect(qiniCoefficient([5, 5, 5, 5], [true, false, true, false], [1, 0, 1, 0]).qini).toBeCloseTo(0);
    expect(keptShare([5, 5, 5, 5], [true, false, true, false], [1, 0, 1, 0], 0.3)).toBeCloseTo(0.3);
  });

  it("rejects inputs of different lengths", () => {
    expect(() => qiniCurve([1, 2], [true], [1, 0])).toThrow(RangeError);
  });
});

describe("qiniCoefficient", () => {
  const { tau, treated, y } = synthetic(6000, 3);

  it("scores the oracle ranking 1 and the true-effect ranking well above random, random about 0", () => {
    const oracle = y.map((v, i) => (treated[i] ? v : -v));
    expect(qiniCoefficient(oracle, treated, y).qini).toBeCloseTo(1, 10);
    const truth = qiniCoefficient(tau, treated, y);
    const randoms = [1, 2, 3, 4, 5, 6, 7, 8].map((s) => {
      const rng = xoroshiro128plus(100 + s);
      return qiniCoefficient(
        tau.map(() => uniformFloat64(rng)),
        treated,
        y,
      ).qini;
    });
    const meanRandom = randoms.reduce((a, b) => a + b, 0) / randoms.length;
    expect(Math.abs(meanRandom)).toBeLessThan(0.02);
    expect(truth.qini).toBeGreaterThan(0.1);
    expect(truth.qini).toBeGreaterThan(Math.max(...randoms) + 0.05);
    expect(truth.qiniArea).toBeGreaterThan(0);
    // Reversed ranking is worse than random.
    expect(
      qiniCoefficient(
        tau.map((t) => -t),
        treated,
        y,
      ).qini,
    ).toBeLessThan(-0.05);
  });

  it("keeps almost all incremental outcomes in the half that has the effect", () => {
    const e = evaluateUplift(tau, treated, y, [0.3, 0.5, 1]);
    expect(e.kept.top50).toBeGreaterThan(0.85);
    expect(e.kept.top100).toBeCloseTo(1);
    // True uplift in the top 30% is 0.3, everyone else's treated vs control gap is smaller.
    expect(e.upliftAt.top30).toBeGreaterThan(0.2);
    expect(e.upliftAt.top30).toBeGreaterThan(e.upliftAt.top100);
    expect(e.upliftAt.top100).toBeCloseTo(upliftAtK(tau, treated, y, 1));
    expect(e.totalIncremental).toBeGreaterThan(0);
  });

  it("gives NaN kept shares when treating everyone yields nothing", () => {
    expect(keptShare([1, 2], [true, false], [0, 0], 0.5)).toBeNaN();
  });
});
