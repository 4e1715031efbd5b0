import { describe, expect, it } from "vitest";
import { describe as describeProfile, nameProfile, nameSegments } from "./segment-naming.js";

const F = ["recency_days", "frequency", "monetary", "aov", "tenure_days", "discount_share", "overdue_ratio", "margin_rate", "engagement"];
const z = (values: Partial<Record<(typeof F)[number], number>>): number[] => F.map((f) => values[f] ?? 0);

describe("nameProfile", () => {
  const cases: [string, number[]][] = [
    ["Champions", z({ recency_days: -1, frequency: 1.2, monetary: 1.1 })],
    ["Premium Loyalists", z({ recency_days: -1, frequency: 1.2, monetary: 1.5, aov: 0.9 })],
    ["Dormant Loyalists", z({ recency_days: 1.3, frequency: 0.9, tenure_days: 1 })],
    ["Churn-Prone Spenders", z({ overdue_ratio: 1.5, monetary: 0.8, recency_days: 0.3 })],
    ["Medium-Recency High-Spenders", z({ monetary: 1.4, recency_days: 0.1 })],
    ["High-Margin Infrequent", z({ margin_rate: 1.2, frequency: -0.8 })],
    ["Coupon-Driven Floaters", z({ discount_share: 1.6, frequency: -0.1 })],
    ["New Customers", z({ tenure_days: -1.4, frequency: -0.9, recency_days: -0.6 })],
    ["Hibernating", z({ recency_days: 1.5, frequency: -0.9, monetary: -0.7 })],
  ];
  it.each(cases)("names %s profiles", (name, profile) => {
    expect(nameProfile(F, profile)).toMatchObject({ name, archetype: name });
  });

  it("falls back to a descriptive name for unknown feature sets", () => {
    expect(nameProfile(["visits", "basket_size"], [1.3, -0.7])).toEqual({
      name: "High visits / low basket size",
      archetype: null,
      score: 0,
    });
    expect(describeProfile(["a", "b"], [0.1, -0.1])).toBe("Average profile");
  });

  it("uses the concept word for conventional features in fallbacks", () => {
    expect(nameProfile(F, z({ frequency: 0.9, recency_days: -0.3 })).name).toBe("High frequency / low recency");
  });
});

describe("nameSegments", () => {
  it("makes clashing names unique by the feature that differs most, deterministically", () => {
    const profiles = [
      z({ discount_share: 1.6, engagement: 0.2 }),
      z({ discount_share: 0.9, engagement: 1.4 }),
      z({ recency_days: -1, frequency: 1.2, monetary: 1.1 }),
      z({ discount_share: 1.1, tenure_days: -0.6, engagement: 0.2 }),
    ];
    const names = nameSegments(F, profiles).map((n) => n.name);
    expect(names).toEqual([
      "Coupon-Driven Floaters",
      "Coupon-Driven Floaters (higher engagement)",
      "Champions",
      "Coupon-Driven Floaters (lower tenure)",
    ]);
    expect(nameSegments(F, profiles)).toEqual(nameSegments(F, profiles));
  });

  it("never repeats a name even for identical profiles", () => {
    const same = Array.from({ length: 4 }, () => z({ monetary: 1.4 }));
    const names = nameSegments(F, same).map((n) => n.name);
    expect(new Set(names).size).toBe(4);
  });
});
