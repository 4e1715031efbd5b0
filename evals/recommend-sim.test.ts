import { describe, expect, it } from "vitest";
import { evaluateRecommendOnSim, formatRecommendOnSim } from "./recommend-sim.js";

describe("cross-sell recommendations on the simulator's time split", () => {
  it("beat the popularity baseline on recall@10 and hit rate, and recommend products that truly suit customers better", async () => {
    const r = await evaluateRecommendOnSim({ customers: 1500, seed: 3, weeks: 8 });
    expect(r.evaluated).toBeGreaterThan(200);
    const by = Object.fromEntries(r.methods.map((m) => [m.method, m]));
    for (const method of ["ease", "cooccurrence"] as const) {
      expect(by[method].recall).toBeGreaterThan(1.5 * by.popularity.recall);
      expect(by[method].hitRate).toBeGreaterThan(by.popularity.hitRate);
      expect(by[method].trueFit).toBeGreaterThan(by.popularity.trueFit);
      expect(by[method].incrementalPer1000).toBeGreaterThan(by.popularity.incrementalPer1000);
    }
    expect(formatRecommendOnSim(r)).toMatch(/ease .*%/);
  }, 120_000);
});
