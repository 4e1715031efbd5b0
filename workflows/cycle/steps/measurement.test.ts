import { describe, expect, it } from "vitest";
import { prepareAuditEntry } from "../../../guardrails/audit.js";
import type { OutcomeRecord } from "../../../store/experiments-repo.js";
import { ALL_CAMPAIGNS, liftGroups, liftLines, liftRowSummary, measurementEntries, measurementSummary } from "./measurement.js";

/** n customers of one segment and arm, `converted` of them converting. */
function customers(segmentId: string, arm: OutcomeRecord["arm"], n: number, converted: number): OutcomeRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    customerId: `${segmentId}-${arm}-${i}`,
    segmentId,
    strategy: "winback",
    arm,
    converted: i < converted,
    revenue: i < converted ? 50 : 0,
    margin: i < converted ? 20 : 0,
    unsubscribed: false,
    features: null,
  }));
}

const records = [
  ...customers("s1", "treatment", 800, 160),
  ...customers("s1", "holdout", 200, 20),
  ...customers("s2", "treatment", 400, 40),
  ...customers("s2", "holdout", 100, 10),
];
const names = new Map([["s1", "Lapsed regulars"]]);

describe("liftGroups", () => {
  it("measures each segment × strategy (by name when known) and all campaigns together", () => {
    const { groups, segmentGroups } = liftGroups(records, names, 0.2);
    expect(segmentGroups).toBe(2);
    const by = new Map(groups.map((g) => [g.group, g]));
    expect([...by.keys()].sort()).toEqual([ALL_CAMPAIGNS, "Lapsed regulars × winback", "s2 × winback"].sort());
    const s1 = by.get("Lapsed regulars × winback")!;
    expect(s1.treatedCount).toBe(800);
    expect(s1.holdoutCount).toBe(200);
    expect(s1.conversion.difference).toBeCloseTo(0.2 - 0.1, 10);
    expect(s1.significant).toBe(true);
    expect(by.get("s2 × winback")!.conversion.difference).toBeCloseTo(0, 10);
    expect(by.get(ALL_CAMPAIGNS)!.treatedCount).toBe(1200);
  });
});

describe("measurement's lines, entries and summaries", () => {
  const lift = liftGroups(records, names, 0.2);
  const readout = { headline: "Winback lifted conversion", lines: ["+10.0 pts in Lapsed regulars"] };

  it("reads each group out with its intervals", () => {
    const lines = liftLines(lift.groups);
    expect(lines).toHaveLength(3);
    const s1 = lines.find((l) => l.group === "Lapsed regulars × winback")!;
    expect(s1.conversionCi[0]).toBeLessThan(s1.conversionDiff);
    expect(s1.conversionCi[1]).toBeGreaterThan(s1.conversionDiff);
  });

  it("audits the lift call and the measurement, and the analyst's twin only when one was asked", () => {
    const window = {
      experimentId: "c1.exp",
      records: records.length,
      from: new Date("2026-03-02T00:00:00Z"),
      to: new Date("2026-03-16T00:00:00Z"),
    };
    const now = new Date();
    const without = measurementEntries("pulse", "c1", window, lift, readout, null).map((e) => prepareAuditEntry(e, now));
    expect(without.map((e) => e.kind)).toEqual(["tool_call", "measurement"]);
    expect((without[0]!.entry as { summary: string }).summary).toBe("lift for 2 segment × strategy groups");
    expect(without[1]!.entry).toMatchObject({ experimentId: "c1.exp", summary: "Winback lifted conversion\n+10.0 pts in Lapsed regulars" });
    expect((without[1]!.entry as { readoutDigest: string }).readoutDigest).toMatch(/^[0-9a-f]{64}$/);
    const withAnalyst = measurementEntries("pulse", "c1", window, lift, readout, { source: "llm" });
    expect(withAnalyst.map((e) => e.kind)).toEqual(["tool_call", "measurement", "agent_decision"]);
  });

  it("summarises the lift for the cycle row and the state", () => {
    expect(liftRowSummary(lift.groups).lift.map((l) => l.group)).toEqual(lift.groups.map((g) => g.group));
    const s = measurementSummary(lift.groups, readout, new Date("2026-03-16T00:00:00Z"));
    expect(s).toMatchObject({
      measuredAt: "2026-03-16T00:00:00.000Z",
      headline: readout.headline,
      lines: readout.lines,
      srmFlagged: false,
    });
    expect(s.groups).toHaveLength(3);
  });
});
