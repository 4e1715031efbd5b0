import { describe, expect, it } from "vitest";
import type { ReadoutRow } from "../../../store/evidence-repo.js";
import { evidenceByStrategy } from "./learn.js";

const row = (over: Partial<ReadoutRow>): ReadoutRow => ({
  cycleId: "c1",
  segmentId: "s1",
  strategy: "winback",
  channel: "email",
  offerDepth: 0.1,
  measuredAt: new Date("2025-01-08T00:00:00Z"),
  treated: 80,
  treatedConversions: 8,
  holdout: 20,
  holdoutConversions: 1,
  meanPredicted: 0.03,
  ...over,
});

describe("evidenceByStrategy", () => {
  it("sums a cycle's readouts per strategy and names the strategies still thin", () => {
    const out = evidenceByStrategy(
      "c1",
      [
        row({}),
        row({ segmentId: "s2", channel: "sms", treated: 300, treatedConversions: 30, holdout: 90 }),
        row({ strategy: "cross_sell" }),
      ],
      100,
    );
    expect(out.models).toEqual([
      {
        strategy: "cross_sell",
        runId: "c1.evidence.cross_sell",
        treated: 80,
        holdout: 20,
        treatedConversions: 8,
        holdoutConversions: 1,
        readouts: 1,
      },
      {
        strategy: "winback",
        runId: "c1.evidence.winback",
        treated: 380,
        holdout: 110,
        treatedConversions: 38,
        holdoutConversions: 2,
        readouts: 2,
      },
    ]);
    expect(out.skipped).toHaveLength(1);
    expect(out.skipped[0]).toMatch(/^cross_sell: 80 treated and 20 held out/);
  });
});
