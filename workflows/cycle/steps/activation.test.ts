import { describe, expect, it } from "vitest";
import { prepareAuditEntry } from "../../../guardrails/audit.js";
import { activationSummary, assignArms, assignmentEntries, windowEndOf, type TargetDecision } from "./activation.js";

const settings = { holdoutShare: 0.2, globalControlSalt: "gc", globalControlShare: 0.02 };
const rows: TargetDecision[] = [
  ...Array.from({ length: 2000 }, (_, i) => ({
    customerId: `k${i}`,
    segmentId: i % 2 ? "s1" : "s2",
    decision: "contact" as const,
    code: null,
  })),
  { customerId: "g1", segmentId: "s1", decision: "skip", code: "global_control" },
  { customerId: "x1", segmentId: "s1", decision: "skip", code: "fatigued" },
];

describe("assignArms", () => {
  it("holds out about the holdout share of the contacts, records the global control, and leaves other skips out", () => {
    const a = assignArms("c1.exp", settings, rows);
    const byArm = (arm: string) => a.filter((x) => x.arm === arm).length;
    // Every contact gets an arm (a few land in the global control too); g1 was set aside at planning.
    expect(a).toHaveLength(2001);
    expect(byArm("treatment") + byArm("holdout") + byArm("global_control")).toBe(2001);
    expect(byArm("holdout") / 2000).toBeGreaterThan(0.15);
    expect(byArm("holdout") / 2000).toBeLessThan(0.25);
    expect(byArm("global_control")).toBeLessThan(100);
    expect(a.find((x) => x.customerId === "g1")).toEqual({ customerId: "g1", segmentId: "s1", arm: "global_control", bucket: 0 });
    expect(a.find((x) => x.customerId === "x1")).toBeUndefined();
    expect(a.find((x) => x.customerId === "k1")!.segmentId).toBe("s1");
  });

  it("gives the same arms on a re-run", () => {
    expect(assignArms("c1.exp", settings, rows)).toEqual(assignArms("c1.exp", settings, rows));
  });
});

describe("assignmentEntries", () => {
  it("one holdout tool call with the counts and one holdout entry per customer, all accepted by the audit schemas", () => {
    const a = assignArms("c1.exp", settings, rows);
    const counts = {
      treatment: a.filter((x) => x.arm === "treatment").length,
      holdout: a.filter((x) => x.arm === "holdout").length,
      global_control: 1,
    };
    const entries = assignmentEntries("pulse", "c1", "c1.exp", 0.2, 2000, counts, a);
    expect(entries).toHaveLength(a.length + 1);
    const now = new Date();
    const prepared = entries.map((e) => prepareAuditEntry(e, now));
    expect(prepared[0]!.entry).toMatchObject({ tool: "holdout" });
    expect((prepared[0]!.entry as { summary: string }).summary).toMatch(
      new RegExp(`^${counts.treatment} treated, ${counts.holdout} held out, 1 in the global control; SRM p = `),
    );
    expect(prepared.find((e) => e.customerId === "g1")!.entry).toEqual({
      experimentId: "c1.exp",
      arm: "global_control",
      bucket: null,
      segmentId: "s1",
    });
  });
});

describe("activationSummary", () => {
  it("summarises the arms, shards and when the window closes", () => {
    const asOf = new Date("2026-03-02T00:00:00Z");
    const end = windowEndOf(asOf, 14);
    expect(end).toEqual(new Date("2026-03-16T00:00:00Z"));
    expect(activationSummary("c1.exp", { treatment: 8, holdout: 2 }, 3, asOf, end)).toEqual({
      experimentId: "c1.exp",
      activatedAt: asOf.toISOString(),
      treated: 8,
      holdout: 2,
      globalControl: 0,
      shards: 3,
      measureAt: end.toISOString(),
    });
  });
});
