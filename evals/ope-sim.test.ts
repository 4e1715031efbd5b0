import { describe, expect, it } from "vitest";
import { evaluateOpeOnSim, formatOpeOnSim } from "./ope-sim.js";

describe("evaluateOpeOnSim", () => {
  it("estimates alternative policies from logged propensities within their intervals of the simulator's truth", async () => {
    const r = await evaluateOpeOnSim({ customers: 2000, seed: 7 });
    expect(r.policies.map((p) => p.policy)).toEqual(["5% less discount", "email only", "push at 10%"]);
    for (const p of r.policies) {
      expect(p.estimates.map((e) => e.estimator)).toEqual(["ipw", "snipw", "dr"]);
      for (const e of p.estimates) expect(e.low).toBeLessThan(e.high);
    }
    // The bar: every estimate covers the truth on at least two alternative policies.
    expect(r.policies.filter((p) => p.estimates.every((e) => e.covers)).length).toBeGreaterThanOrEqual(2);
    expect(formatOpeOnSim(r)).toContain("5% less discount");
  }, 60_000);
});
