import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { evaluateUpliftLearners, formatUpliftLearners } from "./uplift-learners-hillstrom.js";

const csv = readFileSync(new URL("./data/hillstrom/sample.csv", import.meta.url), "utf8");

describe("evaluateUpliftLearners on the 3,000-row sample", () => {
  it("scores the linear and the boosted learners on the same splits", async () => {
    const result = await evaluateUpliftLearners({ csv, seeds: [3, 4] });
    expect(result.means.map((m) => m.learner)).toEqual(["linear t-learner", "linear x-learner", "boosted t-learner", "boosted x-learner"]);
    expect(result.perSplit).toHaveLength(8);
    for (const m of result.means) {
      expect(m.keptTop30).toBeGreaterThan(-1);
      expect(m.keptTop50).toBeLessThan(3);
      expect(Number.isFinite(m.qini)).toBe(true);
    }
    // Different learners rank differently: the comparison is not of one model twice.
    expect(new Set(result.means.map((m) => m.qini.toFixed(6))).size).toBe(4);
    expect(formatUpliftLearners(result)).toContain("boosted x-learner");
  });
});
