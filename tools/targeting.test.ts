import { describe, expect, it } from "vitest";
import { expectedContactValue, planTargets, priorUplift, retainedMargin } from "./targeting.js";

const base = {
  predictedUplift: 0.05,
  baselinePurchaseProbability: 0.1,
  expectedOrderValue: 80,
  marginRate: 0.4,
  fatigueStrategy: "targeted_promo" as const,
  allowedChannels: ["email" as const, "sms" as const],
};

describe("planTargets", () => {
  it("contacts only customers whose uplift pays, and says why the others are skipped", () => {
    const out = planTargets({
      strategy: "targeted_promo",
      channel: "email",
      offerDepth: 0.1,
      customers: [
        { ...base, customerId: "pays" },
        { ...base, customerId: "sure-thing", predictedUplift: 0.001, baselinePurchaseProbability: 0.9 },
        { ...base, customerId: "dog", predictedUplift: -0.02 },
        { ...base, customerId: "tired", fatigueStrategy: "cooldown" },
        { ...base, customerId: "no-email", allowedChannels: ["sms"] },
      ],
    });
    const byId = Object.fromEntries(out.decisions.map((d) => [d.customerId, d]));
    expect(byId.pays!.decision).toBe("contact");
    expect(byId["sure-thing"]!.reasons.map((r) => r.code)).toEqual(["uplift_does_not_pay"]);
    expect(byId.dog!.reasons.map((r) => r.code)).toEqual(["sleeping_dog"]);
    expect(byId.tired!.reasons.map((r) => r.code)).toEqual(["fatigue_cooldown"]);
    expect(byId["no-email"]!.reasons.map((r) => r.code)).toEqual(["channel_backed_off"]);
    expect(out.contacts).toBe(1);
    expect(out.skipped).toEqual({ uplift_does_not_pay: 1, sleeping_dog: 1, fatigue_cooldown: 1, channel_backed_off: 1 });
  });

  it("sends nothing under cooldown or suppress", () => {
    const out = planTargets({ strategy: "cooldown", channel: "email", offerDepth: 0, customers: [{ ...base, customerId: "a" }] });
    expect(out.decisions[0]!.reasons[0]!.code).toBe("strategy_no_contact");
    expect(out.contacts).toBe(0);
  });

  it("charges the discount on orders that would have happened anyway", () => {
    const noOffer = expectedContactValue({ ...base, customerId: "x" }, 0, 0.002);
    const offer = expectedContactValue({ ...base, customerId: "x" }, 0.2, 0.002);
    // 20% off: margin per incremental order falls from 40% to 20% and sure things cost 0.1 * 80 * 0.2.
    expect(noOffer.incrementalMargin).toBeCloseTo(0.05 * 80 * 0.4);
    expect(offer.incrementalMargin).toBeCloseTo(0.05 * 80 * 0.2);
    expect(offer.cost).toBeCloseTo(0.002 + 0.1 * 80 * 0.2);
    expect(offer.value).toBeLessThan(noOffer.value);
  });

  it("charges it only on the sure things that engage with the message and so see its code", () => {
    const all = expectedContactValue({ ...base, customerId: "x" }, 0.2, 0.002);
    const some = expectedContactValue({ ...base, customerId: "x", redemptionProbability: 0.25 }, 0.2, 0.002);
    expect(some.cost).toBeCloseTo(0.002 + 0.25 * 0.1 * 80 * 0.2);
    expect(some.incrementalMargin).toBeCloseTo(all.incrementalMargin);
    expect(some.value).toBeGreaterThan(all.value);
  });
});

describe("retainedMargin", () => {
  const lapsing = {
    pAlive: 0.25,
    expectedPurchases: 1,
    clvHorizonWeeks: 52,
    retentionHorizonWeeks: 13,
    expectedOrderValue: 80,
    marginRate: 0.4,
  };

  it("is the chance the customer had lapsed times what a live one buys over the retention horizon, at full margin", () => {
    // A live customer makes 1 / 0.25 = 4 purchases in 52 weeks, 1 in 13; revived with probability 0.75.
    expect(retainedMargin(lapsing)).toBeCloseTo(0.75 * 1 * 80 * 0.4, 10);
    expect(retainedMargin({ ...lapsing, retentionHorizonWeeks: 26 })).toBeCloseTo(2 * 0.75 * 80 * 0.4, 10);
  });

  it("is nothing for a customer surely alive, a zero horizon or no expected purchases, and stays finite near P(alive) 0", () => {
    expect(retainedMargin({ ...lapsing, pAlive: 1 })).toBe(0);
    expect(retainedMargin({ ...lapsing, retentionHorizonWeeks: 0 })).toBe(0);
    expect(retainedMargin({ ...lapsing, expectedPurchases: 0 })).toBe(0);
    expect(Number.isFinite(retainedMargin({ ...lapsing, pAlive: 0, expectedPurchases: 0.01 }))).toBe(true);
    // The horizon never counts more than the CLV's own.
    expect(retainedMargin({ ...lapsing, retentionHorizonWeeks: 104 })).toBeCloseTo(
      retainedMargin({ ...lapsing, retentionHorizonWeeks: 52 }),
      10,
    );
  });

  it("adds to a contact's incremental margin in proportion to its uplift, so it can make a win-back pay", () => {
    const thin = { ...base, customerId: "x", predictedUplift: 0.002, baselinePurchaseProbability: 0.05, expectedOrderValue: 10 };
    const oneWindow = expectedContactValue(thin, 0.15, 0.002);
    const kept = expectedContactValue({ ...thin, retainedMargin: 50 }, 0.15, 0.002);
    expect(kept.incrementalMargin - oneWindow.incrementalMargin).toBeCloseTo(0.002 * 50, 10);
    expect(kept.cost).toBeCloseTo(oneWindow.cost, 10);
    expect(oneWindow.value).toBeLessThan(0);
    expect(kept.value).toBeGreaterThan(0);
  });
});

describe("priorUplift", () => {
  const p = {
    strategy: "targeted_promo" as const,
    offerDepth: 0.15,
    channelEngagement: 0.5,
    discountShare: 0.5,
    overdueRatio: 1,
    baselinePurchaseProbability: 0.2,
    fatigue: 0.2,
  };
  it("grows with engagement and with the offer for discount-driven customers", () => {
    expect(priorUplift({ ...p, channelEngagement: 0.9 })).toBeGreaterThan(priorUplift(p));
    expect(priorUplift({ ...p, discountShare: 0.9 })).toBeGreaterThan(priorUplift(p));
    expect(priorUplift({ ...p, offerDepth: 0 })).toBeLessThan(priorUplift(p));
  });
  it("is near zero for sure things, zero for no-contact strategies, negative when fatigued", () => {
    expect(priorUplift({ ...p, baselinePurchaseProbability: 0.99 })).toBeLessThan(0.001);
    expect(priorUplift({ ...p, strategy: "cooldown" })).toBe(0);
    expect(priorUplift({ ...p, fatigue: 1, channelEngagement: 0 })).toBeLessThan(0);
  });
  it("favours overdue customers on win-back", () => {
    expect(priorUplift({ ...p, strategy: "winback", overdueRatio: 3 })).toBeGreaterThan(
      priorUplift({ ...p, strategy: "winback", overdueRatio: 0.5 }),
    );
  });
});
