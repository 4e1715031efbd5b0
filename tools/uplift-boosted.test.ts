import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import { describe, expect, it } from "vitest";
import { boostedUplift } from "./uplift-boosted.js";
import { evaluateUplift } from "./uplift-metrics.js";

/** Randomised rows whose true effect is +30 points where x0 > 0.5 and x1 > 0.5, and 0 elsewhere. */
function stepWorld(n: number, seed: number) {
  const rng = xoroshiro128plus(seed);
  const u = () => uniformFloat64(rng);
  return Array.from({ length: n }, () => {
    const features = [u(), u(), u()];
    const treated = u() < 0.5;
    const effect = features[0] > 0.5 && features[1] > 0.5 ? 0.3 : 0;
    const p = 0.1 + 0.2 * features[2] + (treated ? effect : 0);
    return { features, treated, outcome: u() < p ? 1 : 0, effect };
  });
}

describe("boostedUplift", () => {
  const train = stepWorld(4000, 1);
  const test = stepWorld(2000, 2);
  const score = test.map((r) => r.features);

  it.each(["t-learner", "x-learner"] as const)("%s ranks customers with a true effect above those without", async (method) => {
    const { uplift } = await boostedUplift({ rows: train, score, method, seed: 3 });
    expect(uplift).toHaveLength(test.length);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const withEffect = mean(uplift.filter((_, i) => test[i].effect > 0));
    const without = mean(uplift.filter((_, i) => test[i].effect === 0));
    expect(withEffect - without).toBeGreaterThan(0.15);
    const e = evaluateUplift(
      uplift,
      test.map((r) => r.treated),
      test.map((r) => r.outcome),
    );
    expect(e.kept.top30).toBeGreaterThan(0.6);
  });

  it("is deterministic for a seed", async () => {
    const a = await boostedUplift({ rows: train.slice(0, 1000), score: score.slice(0, 50), seed: 5 });
    const b = await boostedUplift({ rows: train.slice(0, 1000), score: score.slice(0, 50), seed: 5 });
    expect(b.uplift).toEqual(a.uplift);
  });

  it("refuses rows of different widths and a missing arm", async () => {
    await expect(boostedUplift({ rows: train.slice(0, 10), score: [[1, 2]] })).rejects.toThrow(/features/);
    await expect(boostedUplift({ rows: train.filter((r) => r.treated).slice(0, 10), score: [] })).rejects.toThrow(/control/);
  });
});
