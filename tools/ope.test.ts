import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import { describe, expect, it } from "vitest";
import { drEstimate, ipwEstimate, offPolicyEstimates, snipwEstimate, type OpeLog } from "./ope.js";

/**
 * A logged world with a known answer: three actions with conversion rates 0.05 / 0.10 / 0.20 that
 * depend on a binary context; the logging policy picks uniformly; the target always picks action 2.
 */
function world(n: number, seed: number, modelBias = 0) {
  const rng = xoroshiro128plus(seed);
  const u = () => uniformFloat64(rng);
  const rate = (x: number, a: number) => [0.05, 0.1, 0.2][a] * (x === 1 ? 1.5 : 1);
  const logs: OpeLog[] = [];
  let truth = 0;
  for (let i = 0; i < n; i++) {
    const x = u() < 0.4 ? 1 : 0;
    const a = Math.floor(u() * 3);
    const reward = u() < rate(x, a) ? 1 : 0;
    truth += rate(x, 2);
    logs.push({
      propensity: 1 / 3,
      reward,
      targetProbability: a === 2 ? 1 : 0,
      predictedLogged: rate(x, a) + modelBias,
      predictedTarget: rate(x, 2) + modelBias,
    });
  }
  return { logs, truth: truth / n };
}

describe("off-policy estimators", () => {
  it("cover the target policy's true value in most seeded worlds (95% intervals)", () => {
    const covered = { ipw: 0, snipw: 0, dr: 0 };
    const runs = 40;
    for (let s = 0; s < runs; s++) {
      const { logs, truth } = world(3000, s + 1, 0.03);
      for (const e of offPolicyEstimates(logs)) if (e.low <= truth && truth <= e.high) covered[e.estimator]++;
    }
    for (const k of ["ipw", "snipw", "dr"] as const) expect(covered[k] / runs).toBeGreaterThan(0.85);
  });

  it("doubly robust with a right reward model is tighter than IPW", () => {
    const { logs } = world(3000, 7);
    expect(drEstimate(logs).standardError).toBeLessThan(ipwEstimate(logs).standardError);
  });

  it("self-normalised IPW equals the target action's mean reward when the target is deterministic", () => {
    const { logs } = world(500, 3);
    const chosen = logs.filter((l) => l.targetProbability === 1);
    const mean = chosen.reduce((s, l) => s + l.reward, 0) / chosen.length;
    expect(snipwEstimate(logs).value).toBeCloseTo(mean, 12);
    expect(ipwEstimate(logs).effectiveSampleSize).toBeCloseTo(chosen.length, 9);
  });

  it("refuses a zero propensity and DR without predictions", () => {
    expect(() => ipwEstimate([{ propensity: 0, reward: 1, targetProbability: 1 }])).toThrow();
    expect(() => drEstimate([{ propensity: 0.5, reward: 1, targetProbability: 1 }])).toThrow(/predictions/);
    expect(offPolicyEstimates([{ propensity: 0.5, reward: 1, targetProbability: 1 }]).map((e) => e.estimator)).toEqual(["ipw", "snipw"]);
  });
});
