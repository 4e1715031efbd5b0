import { toJsonSchema } from "@langchain/core/utils/json_schema";
import { describe, expect, it } from "vitest";
import { assignHoldout, checkSampleRatio, createHoldoutTool, createSampleRatioTool, hashToUnit, isInGlobalControl } from "./holdout.js";

const ids = (n: number, prefix = "c") => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe("hashToUnit", () => {
  it("is deterministic, in [0, 1) and sensitive to every part", () => {
    const u = hashToUnit("salt", "exp-1", "c1");
    expect(u).toBe(hashToUnit("salt", "exp-1", "c1"));
    expect(u).toBeGreaterThanOrEqual(0);
    expect(u).toBeLessThan(1);
    expect(hashToUnit("salt2", "exp-1", "c1")).not.toBe(u);
    expect(hashToUnit("salt", "exp-2", "c1")).not.toBe(u);
    expect(hashToUnit("salt", "exp-1", "c2")).not.toBe(u);
  });

  it("is close to uniform", () => {
    const deciles = new Array(10).fill(0);
    for (const id of ids(20_000)) deciles[Math.floor(hashToUnit("s", "e", id) * 10)] += 1;
    for (const n of deciles) expect(Math.abs(n - 2000)).toBeLessThan(200);
  });
});

describe("assignHoldout", () => {
  it("holds out each segment's share and the default share elsewhere", () => {
    const customers = [
      ...ids(5_000, "a").map((customerId) => ({ customerId, segment: "segA" })),
      ...ids(5_000, "b").map((customerId) => ({ customerId, segment: "segB" })),
      ...ids(5_000, "x").map((customerId) => ({ customerId, segment: "other" })),
    ];
    const out = assignHoldout({ experimentId: "exp-1", customers, holdoutShares: { segA: 0.1, segB: 0.2 }, defaultHoldoutShare: 0.05 });
    const share = (seg: string) => {
      const rows = out.assignments.filter((a) => a.segment === seg && a.arm !== "global_control");
      return rows.filter((a) => a.arm === "holdout").length / rows.length;
    };
    // 5,000 per segment: the standard error of a share is at most ~0.006.
    expect(Math.abs(share("segA") - 0.1)).toBeLessThan(0.02);
    expect(Math.abs(share("segB") - 0.2)).toBeLessThan(0.02);
    expect(Math.abs(share("other") - 0.05)).toBeLessThan(0.02);
    expect(out.counts.treatment + out.counts.holdout + out.counts.global_control).toBe(15_000);
    for (const a of out.assignments) {
      if (a.arm === "holdout") expect(a.bucket).toBeLessThan(a.holdoutShare);
      if (a.arm === "treatment") expect(a.bucket).toBeGreaterThanOrEqual(a.holdoutShare);
      expect(a.reason.length).toBeGreaterThan(10);
    }
  });

  it("puts the same ~2% in global control in every experiment, and never treats them", () => {
    const customers = ids(10_000).map((customerId) => ({ customerId }));
    const e1 = assignHoldout({ experimentId: "exp-1", customers });
    const e2 = assignHoldout({ experimentId: "exp-2", customers, salt: "other-salt", defaultHoldoutShare: 0.5 });
    const gc1 = e1.assignments.filter((a) => a.arm === "global_control").map((a) => a.customerId);
    const gc2 = e2.assignments.filter((a) => a.arm === "global_control").map((a) => a.customerId);
    expect(gc1).toEqual(gc2);
    expect(gc1.length / 10_000).toBeGreaterThan(0.015);
    expect(gc1.length / 10_000).toBeLessThan(0.025);
    for (const id of gc1) expect(isInGlobalControl(id)).toBe(true);
    expect(e1.assignments.find((a) => a.arm === "global_control")?.reason).toMatch(/global control/);
  });

  it("assigns experiments independently of each other", () => {
    const customers = ids(10_000).map((customerId) => ({ customerId }));
    const e1 = assignHoldout({ experimentId: "exp-1", customers, globalControl: { share: 0 } });
    const e2 = assignHoldout({ experimentId: "exp-2", customers, globalControl: { share: 0 } });
    const both = e1.assignments.filter((a, i) => a.arm === "holdout" && e2.assignments[i].arm === "holdout").length;
    expect(both / 10_000).toBeCloseTo(0.01, 2); // 0.1 × 0.1
  });

  it("rejects '|' in the experiment id, which would make the hashed key ambiguous", () => {
    expect(() => assignHoldout({ experimentId: "a|b", customers: [] })).toThrow();
  });

  it("is exposed as an agent tool with salts from deps", async () => {
    const tool = createHoldoutTool({ salt: "pinned" });
    const result = JSON.parse(await tool.invoke({ experimentId: "exp-9", customers: [{ customerId: "c1", segment: "s" }] }));
    expect(result.assignments[0].bucket).toBe(hashToUnit("pinned", "exp-9", "c1"));
  });
});

describe("agent tool schemas", () => {
  it("convert to JSON Schema, as binding them to a chat model requires", () => {
    for (const tool of [createHoldoutTool(), createSampleRatioTool()])
      expect(() => toJsonSchema(tool.schema as Parameters<typeof toJsonSchema>[0])).not.toThrow();
  });
});

describe("checkSampleRatio", () => {
  it("flags a 50/50 design observed at 5200/4800", () => {
    const r = checkSampleRatio({ observed: { treatment: 5200, holdout: 4800 }, expected: { treatment: 0.5, holdout: 0.5 } });
    expect(r.chiSquared).toBeCloseTo(16, 10);
    expect(r.degreesOfFreedom).toBe(1);
    expect(r.pValue).toBeCloseTo(6.33e-5, 6);
    expect(r.mismatch).toBe(true);
    expect(r.reason).toMatch(/mismatch/i);
  });

  it("does not flag 5020/4980", () => {
    const r = checkSampleRatio({ observed: { treatment: 5020, holdout: 4980 }, expected: { treatment: 0.5, holdout: 0.5 } });
    expect(r.chiSquared).toBeCloseTo(0.16, 10);
    expect(r.pValue).toBeCloseTo(0.689, 3);
    expect(r.mismatch).toBe(false);
  });

  it("handles unequal designs with more than two arms", () => {
    // 90/8/2 design with exactly expected counts, then a skewed one.
    const ok = checkSampleRatio({
      observed: { treatment: 9000, holdout: 800, global_control: 200 },
      expected: { treatment: 90, holdout: 8, global_control: 2 },
    });
    expect(ok.degreesOfFreedom).toBe(2);
    expect(ok.pValue).toBeCloseTo(1, 10);
    const bad = checkSampleRatio({
      observed: { treatment: 9000, holdout: 650, global_control: 200 },
      expected: { treatment: 0.9, holdout: 0.08, global_control: 0.02 },
    });
    expect(bad.mismatch).toBe(true);
  });

  it("flags an arm observed that the design says is empty, and passes on no data", () => {
    expect(checkSampleRatio({ observed: { treatment: 10, ghost: 1 }, expected: { treatment: 1 } }).mismatch).toBe(true);
    expect(checkSampleRatio({ observed: {}, expected: { treatment: 0.5, holdout: 0.5 } }).mismatch).toBe(false);
  });
});
