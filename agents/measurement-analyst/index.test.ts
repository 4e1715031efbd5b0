import { describe, expect, it } from "vitest";
import { readoutOffline, writeReadout } from "./index.js";

const line = (group: string, diff: number, lo: number, hi: number, significant: boolean, srm = false) => ({
  group,
  treated: 800,
  holdout: 200,
  conversionTreated: 0.1 + diff,
  conversionHoldout: 0.1,
  conversionDiff: diff,
  conversionCi: [lo, hi] as [number, number],
  revenueDiff: 3.2,
  revenueCi: [1, 5.4] as [number, number],
  unsubscribeDiff: 0.002,
  significant,
  srmFlagged: srm,
});

describe("measurement analyst", () => {
  it("counts significant lifts and harms and quotes every interval", () => {
    const r = readoutOffline([
      line("A × winback", 0.03, 0.01, 0.05, true),
      line("B × promo", -0.02, -0.04, -0.001, true),
      line("C × promo", 0.01, -0.02, 0.04, false, true),
    ]);
    expect(r.headline).toBe("1 of 3 campaigns lifted conversion significantly, 1 lowered it.");
    expect(r.lines[0]).toContain("+3.0 pts (95% CI +1.0 pts to +5.0 pts), significant");
    expect(r.lines[2]).toContain("SAMPLE RATIO MISMATCH");
  });

  it("runs offline without a model and says so", async () => {
    const out = await writeReadout([line("A", 0.03, 0.01, 0.05, true)], {});
    expect(out.provenance.source).toBe("offline");
    expect(out.readout.lines).toHaveLength(1);
  });
});
