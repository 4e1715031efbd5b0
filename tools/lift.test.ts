import { toJsonSchema } from "@langchain/core/utils/json_schema";
import { describe, expect, it } from "vitest";
import { createRandom } from "./segment-sample.js";
import { createLiftTool, cupedAdjust, measureLift, newcombeInterval, welchInterval, wilsonInterval, type LiftRecord } from "./lift.js";

/** A seeded uniform source, so the simulations are deterministic. */
function rng(seed: number): () => number {
  const random = createRandom(seed);
  return () => random.float();
}
const gaussian = (r: () => number) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());

const rec = (arm: "treatment" | "holdout", over: Partial<LiftRecord> = {}): LiftRecord => ({
  group: "g",
  arm,
  converted: false,
  revenue: 0,
  margin: 0,
  unsubscribed: false,
  ...over,
});

describe("interval building blocks", () => {
  it("matches Newcombe's (1998) worked example for 56/70 − 48/80", () => {
    const ci = newcombeInterval(56, 70, 48, 80)!;
    expect(ci.low).toBeCloseTo(0.0524, 4);
    expect(ci.high).toBeCloseTo(0.3339, 4);
  });

  it("computes Wilson intervals that stay inside [0, 1]", () => {
    const w = wilsonInterval(0, 10, 1.959964);
    expect(w.low).toBe(0);
    expect(w.high).toBeCloseTo(0.2775, 4);
    expect(wilsonInterval(10, 10, 1.959964).high).toBe(1);
  });

  it("computes Welch's interval with Satterthwaite degrees of freedom", () => {
    // Means 3 and 6, variances 2.5 and 10, n = 5 each: se = √2.5, df = 6.25 / 1.0625 ≈ 5.88,
    // t(0.975, 5.88) ≈ 2.459 (between 2.571 at 5 df and 2.447 at 6), half-width ≈ 3.888.
    const ci = welchInterval([1, 2, 3, 4, 5], [2, 4, 6, 8, 10])!;
    expect((ci.low + ci.high) / 2).toBeCloseTo(-3, 12);
    expect(ci.low).toBeCloseTo(-6.888, 2);
    expect(ci.high).toBeCloseTo(0.888, 2);
    expect(welchInterval([1], [2, 3])).toBeNull();
  });

  it("estimates the CUPED coefficient as cov(X, Y) / var(X)", () => {
    const x = [1, 2, 3, 4, 5];
    const { theta, adjusted } = cupedAdjust(
      x.map((v) => 2 * v + 1),
      x,
    );
    expect(theta).toBeCloseTo(2, 12);
    for (const v of adjusted) expect(v).toBeCloseTo(7, 12); // all variance explained
  });
});

describe("agent tool schemas", () => {
  it("convert to JSON Schema, as binding them to a chat model requires", () => {
    for (const tool of [createLiftTool(), createLiftTool({ loadRecords: async () => [] })])
      expect(() => toJsonSchema(tool.schema as Parameters<typeof toJsonSchema>[0])).not.toThrow();
  });
});

describe("measureLift", () => {
  it("compares treated and holdout per group with rates, means and relative lift", () => {
    const records: LiftRecord[] = [
      ...Array.from({ length: 100 }, (_, i) =>
        rec("treatment", {
          group: "champions × promo",
          converted: i < 20,
          revenue: i < 20 ? 50 : 0,
          margin: i < 20 ? 15 : 0,
          unsubscribed: i === 99,
        }),
      ),
      ...Array.from({ length: 100 }, (_, i) =>
        rec("holdout", { group: "champions × promo", converted: i < 10, revenue: i < 10 ? 50 : 0, margin: i < 10 ? 15 : 0 }),
      ),
      rec("holdout", { arm: "global_control" as "holdout" }),
    ];
    const out = measureLift({ records, defaultHoldoutShare: 0.5 });
    expect(out.excludedRecords).toBe(1);
    expect(out.groups).toHaveLength(1);
    const g = out.groups[0];
    expect(g).toMatchObject({ group: "champions × promo", treatedCount: 100, holdoutCount: 100 });
    expect(g.conversion.difference).toBeCloseTo(0.1, 12);
    expect(g.conversion.relativeLift).toBeCloseTo(1, 12);
    expect(g.conversion.ci!.low).toBeLessThan(0.1);
    expect(g.conversion.ci!.high).toBeGreaterThan(0.1);
    expect(g.revenuePerCustomer.difference).toBeCloseTo(5, 12);
    expect(g.marginPerCustomer.difference).toBeCloseTo(1.5, 12);
    expect(g.unsubscribeRate.difference).toBeCloseTo(0.01, 12);
    expect(g.unsubscribeRate.relativeLift).toBeNull();
    expect(g.srm.mismatch).toBe(false);
    expect(g.revenuePerCustomer.cuped).toBeNull();
  });

  it("runs the SRM check against the group's designed share and withholds significance on a mismatch", () => {
    const records = [
      ...Array.from({ length: 5200 }, () => rec("treatment", { converted: true })),
      ...Array.from({ length: 4800 }, () => rec("holdout")),
    ];
    const g = measureLift({ records, holdoutShares: { g: 0.5 } }).groups[0];
    expect(g.srm.mismatch).toBe(true);
    expect(g.srm.pValue).toBeCloseTo(6.33e-5, 6);
    expect(g.significant).toBe(false);
    expect(g.warnings.join(" ")).toMatch(/Sample ratio mismatch/);
    // Against a 10% design the same counts are a gross mismatch too; with 9000/1000 they are not.
    const fine = measureLift({
      records: [
        ...Array.from({ length: 9000 }, () => rec("treatment", { converted: true })),
        ...Array.from({ length: 1000 }, () => rec("holdout")),
      ],
    }).groups[0];
    expect(fine.srm.mismatch).toBe(false);
    expect(fine.significant).toBe(true);
  });

  it("covers the true difference with its 95% intervals in most seeded simulations", () => {
    const truth = { pT: 0.15, pH: 0.1, basket: 40 };
    let conversionCovered = 0;
    let revenueCovered = 0;
    for (let run = 0; run < 100; run++) {
      const r = rng(1000 + run);
      const records: LiftRecord[] = [];
      for (let i = 0; i < 1600; i++) {
        const arm = i < 1200 ? "treatment" : "holdout";
        const converted = r() < (arm === "treatment" ? truth.pT : truth.pH);
        const revenue = converted ? truth.basket * Math.exp(0.5 * gaussian(r) - 0.125) : 0; // lognormal, mean = basket
        records.push(rec(arm, { converted, revenue, margin: revenue * 0.3 }));
      }
      const g = measureLift({ records, defaultHoldoutShare: 0.25 }).groups[0];
      const dConv = truth.pT - truth.pH;
      const dRev = dConv * truth.basket;
      if (g.conversion.ci!.low <= dConv && dConv <= g.conversion.ci!.high) conversionCovered += 1;
      if (g.revenuePerCustomer.ci!.low <= dRev && dRev <= g.revenuePerCustomer.ci!.high) revenueCovered += 1;
    }
    expect(conversionCovered).toBeGreaterThanOrEqual(90);
    expect(revenueCovered).toBeGreaterThanOrEqual(90);
  });

  it("narrows the interval with CUPED when pre-period spend predicts revenue, without moving the truth out", () => {
    const r = rng(42);
    const records: LiftRecord[] = [];
    for (let i = 0; i < 2000; i++) {
      const arm = i % 2 === 0 ? "treatment" : "holdout";
      const pre = 100 + 30 * gaussian(r);
      const revenue = 0.8 * pre + 10 * gaussian(r) + (arm === "treatment" ? 5 : 0);
      records.push(rec(arm, { revenue, margin: revenue * 0.25, prePeriodSpend: pre }));
    }
    const g = measureLift({ records, defaultHoldoutShare: 0.5, cuped: true }).groups[0];
    const raw = g.revenuePerCustomer;
    const adjusted = raw.cuped!;
    expect(adjusted.theta).toBeCloseTo(0.8, 1);
    expect(adjusted.varianceReduction).toBeGreaterThan(0.8);
    expect(adjusted.ci!.high - adjusted.ci!.low).toBeLessThan(0.5 * (raw.ci!.high - raw.ci!.low));
    expect(adjusted.ci!.low).toBeLessThan(5);
    expect(adjusted.ci!.high).toBeGreaterThan(5);
    expect(g.marginPerCustomer.cuped!.varianceReduction).toBeGreaterThan(0.8);
  });

  it("skips CUPED with a warning when the covariate is missing, and handles thin groups", () => {
    const g = measureLift({ records: [rec("treatment", { prePeriodSpend: 3 }), rec("holdout")], cuped: true }).groups[0];
    expect(g.revenuePerCustomer.cuped).toBeNull();
    expect(g.warnings).toContain("CUPED skipped: some records lack prePeriodSpend.");
    expect(g.revenuePerCustomer.ci).toBeNull();
    expect(g.warnings.join(" ")).toMatch(/Fewer than two/);
    const onlyTreated = measureLift({ records: [rec("treatment"), rec("treatment")] }).groups[0];
    expect(onlyTreated.conversion.ci).toBeNull();
    expect(onlyTreated.significant).toBe(false);
  });

  it("reports groups in a stable order", () => {
    const out = measureLift({ records: [rec("treatment", { group: "b" }), rec("holdout", { group: "a" })] });
    expect(out.groups.map((g) => g.group)).toEqual(["a", "b"]);
  });

  it("is exposed as an agent tool that loads an experiment's records", async () => {
    const tool = createLiftTool({
      loadRecords: async () => [
        ...Array.from({ length: 90 }, () => rec("treatment", { converted: true })),
        ...Array.from({ length: 10 }, () => rec("holdout")),
      ],
    });
    const out = JSON.parse(await tool.invoke({ experimentId: "exp-1" }));
    expect(out.groups[0].conversion.difference).toBe(1);
  });
});
