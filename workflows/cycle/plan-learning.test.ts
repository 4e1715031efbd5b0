import { describe, expect, it } from "vitest";
import { learnedUplift, offerBandit, type Readout } from "./plan-learning.js";
import type { UpliftFn } from "./planning.js";

const DAY = 86_400_000;
const asOf = Date.UTC(2025, 2, 1);
const prior: UpliftFn = (i, _strategy, _channel, offerDepth) => (i === 99 ? -0.02 : 0.02 + 0.1 * offerDepth);
const segmentOf = (i: number) => (i < 50 ? "s1" : "s2");

function readout(over: Partial<Readout>): Readout {
  return {
    segmentId: "s1",
    strategy: "winback",
    channel: "email",
    offerDepth: 0.1,
    measuredAt: asOf - 7 * DAY,
    treated: 4000,
    treatedConversions: 400,
    holdout: 1000,
    holdoutConversions: 40,
    meanPrior: 0.03,
    ...over,
  };
}

describe("learnedUplift", () => {
  it("is the prior, and says so, without evidence", () => {
    const u = learnedUplift(prior, segmentOf, [], asOf, 28);
    expect(u.fn(1, "winback", "email", 0.1)).toBeCloseTo(0.03, 9);
    expect(u.calibration("s1", "winback", "email", 0.1)).toMatchObject({ source: "prior", level: "prior", scale: 1 });
  });

  it("scales the prior to what the holdouts measured when the evidence outweighs it", () => {
    // Measured uplift 10% - 4% = 6 points against a predicted 3: about twice the prior.
    const u = learnedUplift(prior, segmentOf, [readout({})], asOf, 28);
    const c = u.calibration("s1", "winback", "email", 0.1);
    expect(c.source).toBe("learned");
    expect(c.scale).toBeGreaterThan(1.7);
    expect(c.scale).toBeLessThan(2.1);
    expect(u.fn(1, "winback", "email", 0.1)).toBeCloseTo(0.03 * c.scale, 9);
    // Another segment, channel or depth of the strategy borrows the broader pools' evidence.
    expect(u.calibration("s2", "winback", "sms", 0.2).source).toBe("learned");
    expect(u.calibration("s2", "winback", "sms", 0.2).level).toBe("strategy");
    // Another strategy has none.
    expect(u.calibration("s1", "cross_sell", "email", 0).source).toBe("prior");
  });

  it("weighs recent evidence above old evidence and ignores evidence from the future", () => {
    const old = readout({ measuredAt: asOf - 365 * DAY, treatedConversions: 40 }); // no uplift, a year ago
    const recent = readout({});
    const future = readout({ measuredAt: asOf + DAY, treatedConversions: 4000 });
    const both = learnedUplift(prior, segmentOf, [old, recent, future], asOf, 28).calibration("s1", "winback", "email", 0.1);
    const onlyRecent = learnedUplift(prior, segmentOf, [recent], asOf, 28).calibration("s1", "winback", "email", 0.1);
    expect(both.scale).toBeGreaterThan(0.9 * onlyRecent.scale);
    expect(both.scale).toBeLessThanOrEqual(onlyRecent.scale + 1e-9);
  });

  it("never turns a sleeping dog into a persuadable, and never goes below zero for a helpful prior", () => {
    const harmful = readout({ treatedConversions: 10 }); // treated convert less than held out
    const u = learnedUplift(prior, segmentOf, [harmful], asOf, 28);
    expect(u.calibration("s1", "winback", "email", 0.1).scale).toBe(0);
    expect(u.fn(1, "winback", "email", 0.1)).toBe(0);
    expect(u.fn(99, "winback", "email", 0.1)).toBe(-0.02);
  });
});

describe("offerBandit", () => {
  const base = {
    key: "c1|s1|winback",
    segmentId: "s1",
    strategy: "winback",
    asOf,
    halfLifeDays: 28,
    options: { maxExplore: 0.2, minPropensity: 0.02, priorWeight: 20 },
  };

  it("ranks depths on rate × margin left, explores within its bound and drops depths that leave no margin", () => {
    const b = offerBandit({
      ...base,
      arms: [
        { offerDepth: 0, predictedRate: 0.1, value: 0.4 },
        { offerDepth: 0.1, predictedRate: 0.2, value: 0.3 },
        { offerDepth: 0.2, predictedRate: 0.22, value: 0.2 },
        { offerDepth: 0.5, predictedRate: 0.5, value: -0.1 },
      ],
      readouts: [],
    })!;
    expect(b.arms.map((a) => a.offerDepth)).toEqual([0, 0.1, 0.2]);
    expect(b.policy.greedyArmId).toBe("offer-10");
    expect(b.policy.exploreShare).toBeLessThanOrEqual(0.2 + 1e-9);
    expect(b.policy.propensities.reduce((s, p) => s + p.propensity, 0)).toBeCloseTo(1, 9);
  });

  it("moves to the depth the treated customers answered", () => {
    const arms = [
      { offerDepth: 0, predictedRate: 0.2, value: 0.4 },
      { offerDepth: 0.15, predictedRate: 0.2, value: 0.25 },
    ];
    expect(offerBandit({ ...base, arms, readouts: [] })!.policy.greedyArmId).toBe("offer-0");
    const evidence = [
      readout({ offerDepth: 0, treated: 2000, treatedConversions: 100 }),
      readout({ offerDepth: 0.15, treated: 2000, treatedConversions: 800 }),
    ];
    expect(offerBandit({ ...base, arms, readouts: evidence })!.policy.greedyArmId).toBe("offer-15");
  });
});
