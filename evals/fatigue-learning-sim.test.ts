import { describe, expect, it } from "vitest";
import { evaluateFatigueLearningOnSim, formatFatigueLearningOnSim } from "./fatigue-learning-sim.js";

describe("fatigue learning on the simulator", () => {
  it("sends fewer e-mails with fewer opt-outs than the fixed policy cap, never above that cap", async () => {
    const r = await evaluateFatigueLearningOnSim({ customers: 1000, seed: 5, weeks: 5 });
    const fixed = r.arms.find((a) => a.arm === "fixed")!;
    const learned = r.arms.find((a) => a.arm === "learned")!;
    expect(learned.messages).toBeLessThan(fixed.messages);
    expect(learned.unsubscribes).toBeLessThan(fixed.unsubscribes);
    expect(learned.net).toBeGreaterThan(fixed.net);
    for (const cap of Object.values(learned.caps)) expect(cap!).toBeLessThanOrEqual(r.policyCap);
    expect(formatFatigueLearningOnSim(r)).toMatch(/learned e-mail caps per segment/);
  }, 120_000);
});
