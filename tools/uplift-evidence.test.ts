import { describe, expect, it } from "vitest";
import { accumulateUpliftEvidence } from "./uplift-evidence.js";

const DAY = 86_400_000;
const asOf = 100 * DAY;
const option = { strategy: "targeted_promo", channel: "email", offerDepth: 0.1, priorUplift: 0.01, priorSd: 0.02 };
const readout = (daysAgo: number, tc: number, hc: number, n = 2000) => ({
  strategy: "targeted_promo",
  channel: "email",
  offerDepth: 0.1,
  measuredAt: asOf - daysAgo * DAY,
  treated: n,
  treatedConversions: tc,
  holdout: n,
  holdoutConversions: hc,
});

describe("accumulateUpliftEvidence", () => {
  it("uses the prior without evidence and says so", () => {
    const [out] = accumulateUpliftEvidence({ readouts: [], options: [option], asOf });
    expect(out).toMatchObject({ source: "prior", uplift: 0.01, learned: null });
  });

  it("lets enough randomised evidence outweigh the prior and pools cycles", () => {
    const [one] = accumulateUpliftEvidence({ readouts: [readout(7, 300, 200)], options: [option], asOf });
    expect(one.source).toBe("learned");
    expect(one.learned!.uplift).toBeCloseTo(0.05, 2);
    expect(one.uplift).toBeGreaterThan(0.03);
    const [two] = accumulateUpliftEvidence({ readouts: [readout(7, 300, 200), readout(14, 300, 200)], options: [option], asOf });
    expect(two.learned!.se).toBeLessThan(one.learned!.se);
    expect(two.reason).toMatch(/2 readout/);
  });

  it("decays old evidence: a year-old readout weighs almost nothing against last week's", () => {
    const [out] = accumulateUpliftEvidence({ readouts: [readout(365, 600, 100), readout(7, 220, 200)], options: [option], asOf });
    expect(out.learned!.uplift).toBeLessThan(0.02);
  });

  it("keeps options apart and ignores readouts measured after asOf", () => {
    const other = { ...option, offerDepth: 0.2 };
    const [a, b] = accumulateUpliftEvidence({
      readouts: [readout(7, 300, 200), { ...readout(-3, 900, 0), offerDepth: 0.2 }],
      options: [option, other],
      asOf,
    });
    expect(a.source).toBe("learned");
    expect(b.source).toBe("prior");
  });

  it("keeps the prior when the evidence is thin", () => {
    const [out] = accumulateUpliftEvidence({ readouts: [readout(7, 3, 2, 40)], options: [option], asOf });
    expect(out.source).toBe("prior");
    expect(out.reason).toMatch(/prior still outweighs/);
  });
});
