import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { evaluateUpliftHillstrom, formatUpliftHillstrom, splitByArm } from "./uplift-hillstrom.js";

const csv = readFileSync(new URL("./data/hillstrom/sample.csv", import.meta.url), "utf8");

describe("splitByArm", () => {
  it("is seeded, keeps each arm's share and input order", () => {
    const rows = Array.from({ length: 1000 }, (_, i) => ({ i, treated: i % 3 !== 0 }));
    const a = splitByArm(rows, 0.3, 7);
    expect(splitByArm(rows, 0.3, 7)).toEqual(a);
    expect(splitByArm(rows, 0.3, 8).test).not.toEqual(a.test);
    expect(a.test.filter((r) => r.treated)).toHaveLength(Math.round(666 * 0.3));
    expect(a.test.filter((r) => !r.treated)).toHaveLength(Math.round(334 * 0.3));
    expect(a.train.length + a.test.length).toBe(1000);
    expect(a.test.map((r) => r.i)).toEqual([...a.test.map((r) => r.i)].sort((x, y) => x - y));
  });
});

describe("evaluateUpliftHillstrom on the 3,000-row sample", () => {
  it("reports every method and the baselines with finite metrics", () => {
    const result = evaluateUpliftHillstrom({ csv, seed: 3 });
    expect(result.methods.map((m) => m.name)).toEqual(["t-learner", "x-learner", "transformed-outcome", "response", "random"]);
    expect(result.trainRows + result.testRows).toBe(3000);
    expect(result.testAverageEffect).toBeGreaterThan(0);
    for (const m of result.methods) {
      expect(Number.isFinite(m.qini)).toBe(true);
      expect(Math.abs(m.qini)).toBeLessThan(1);
      expect(Number.isFinite(m.kept.top50)).toBe(true);
    }
    const text = formatUpliftHillstrom(result);
    expect(text).toContain("t-learner");
    expect(text).toContain("kept@50");
  });
});
