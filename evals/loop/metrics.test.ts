import { describe, expect, it } from "vitest";
import { compareTo, cycleFigures, retention, summarizeRuns, type PolicyRun } from "./metrics.js";
import { checkTargets, incrementalTrend } from "./targets.js";

const line = (
  quantity: number,
  unit_price: number,
  discount: number,
  margin: number,
  status: "completed" | "returned" | "cancelled" = "completed",
) => ({
  quantity,
  unit_price,
  discount,
  margin,
  status,
});

describe("cycle figures", () => {
  it("counts completed lines only, nets message costs out of margin, counts opt-outs and conversions", () => {
    const f = cycleFigures(
      3,
      {
        orders: [line(2, 10, 2, 5), line(1, 50, 0, 20, "returned"), line(1, 30, 3, 9), line(1, 99, 0, 40, "cancelled")],
        responses: [{ type: "delivered" }, { type: "unsubscribe" }, { type: "conversion" }, { type: "unsubscribe" }, { type: "open" }],
      },
      [{ channel: "email" }, { channel: "sms" }, { channel: "sms" }],
      { email: 0.01, sms: 0.1 },
    );
    expect(f.cycle).toBe(3);
    expect(f.revenue).toBeCloseTo(18 + 27, 10);
    expect(f.discounts).toBeCloseTo(5, 10);
    expect(f.messageCost).toBeCloseTo(0.21, 10);
    expect(f.margin).toBeCloseTo(14 - 0.21, 10);
    expect(f.messages).toBe(3);
    expect(f.optouts).toBe(2);
    expect(f.conversions).toBe(1);
    expect(f.expectedEffect).toBeNull();
  });
});

describe("retention", () => {
  it("is the share of those active at the start still active at the end", () => {
    expect(retention(new Set(["a", "b", "c", "d"]), new Set(["a", "c", "x"]))).toBe(0.5);
    expect(retention(new Set(), new Set(["a"]))).toBe(1);
  });
});

const run = (policy: string, margins: number[], messages: number[], optouts: number[], ret = 0.5): PolicyRun => ({
  policy,
  retention: ret,
  activeAtStart: 10,
  seconds: 1,
  startDigest: "d",
  cycles: margins.map((m, i) => ({
    cycle: i,
    revenue: m * 2,
    discounts: 0,
    messageCost: 0,
    margin: m,
    messages: messages[i]!,
    optouts: optouts[i]!,
    conversions: 0,
    expectedEffect: 1,
    oracleEffect: 3,
  })),
});

describe("summaries", () => {
  const results = summarizeRuns([
    run("pulse", [110, 130, 160], [50, 40, 30], [1, 0, 1], 0.6),
    run("blast", [120, 100, 90], [100, 100, 100], [5, 6, 7], 0.55),
    run("rfm_rules", [105, 110, 100], [60, 30, 60], [2, 1, 2], 0.55),
    run("none", [100, 100, 100], [0, 0, 0], [0, 0, 0], 0.5),
  ]);
  const by = (p: string) => results.find((r) => r.policy === p)!;

  it("computes incremental margin against none, cycle by cycle and cumulated", () => {
    expect(by("pulse").incremental_margin).toBe(100);
    expect(by("pulse").series.map((s) => s.incremental_margin)).toEqual([10, 30, 60]);
    expect(by("pulse").series.map((s) => s.cumulative_incremental_margin)).toEqual([10, 40, 100]);
    expect(by("blast").incremental_margin).toBe(10);
    expect(by("none").incremental_margin).toBe(0);
    expect(by("blast").series.map((s) => s.cumulative_optouts)).toEqual([5, 11, 18]);
    expect(by("pulse").regret).toBe(6);
    expect(by("blast").optouts_per_1k_messages).toBeCloseTo(60, 10);
    expect(by("none").optouts_per_1k_messages).toBeNull();
  });

  it("carries each cycle's segment changes into the series, null for a policy without segments", () => {
    const withSegments = run("pulse", [1, 2], [1, 1], [0, 0]);
    const changes = {
      segments: 6,
      births: ["S7"],
      deaths: [],
      migrated: 12,
      flows: [{ from: "S1", to: "S7", customers: 12 }],
      stability: 0.9,
    };
    withSegments.cycles[1] = { ...withSegments.cycles[1]!, segments: changes };
    const [p] = summarizeRuns([withSegments]);
    expect(p!.series.map((s) => s.segments)).toEqual([null, changes]);
    expect(by("blast").series.every((s) => s.segments === null)).toBe(true);
  });

  it("has no increments without a none run", () => {
    const alone = summarizeRuns([run("pulse", [1, 2], [1, 1], [0, 0])]);
    expect(alone[0]!.incremental_margin).toBeNull();
    expect(alone[0]!.series[0]!.cumulative_incremental_margin).toBeNull();
  });

  it("compares as ratios and checks the issue's targets", () => {
    const c = compareTo(by("pulse"), by("blast"));
    expect(c.messages_reduction).toBeCloseTo(0.6, 10);
    expect(c.optouts_reduction).toBeCloseTo(1 - 2 / 18, 10);
    expect(c.incremental_margin_delta).toBe(90);
    expect(c.retention_delta).toBeCloseTo(0.05, 10);
    expect(incrementalTrend(by("pulse"))).toEqual({ first: 10, last: 60 });
    const checks = checkTargets(results);
    expect(checks.map((x) => x.met)).toEqual([true, true, true, true, true, true, true]);
    // a pulse that sends as much as blast misses the message target
    const heavy = summarizeRuns([
      run("pulse", [110, 130, 160], [90, 90, 90], [1, 0, 1]),
      run("blast", [120, 100, 90], [100, 100, 100], [5, 6, 7]),
      run("none", [100, 100, 100], [0, 0, 0], [0, 0, 0]),
    ]);
    const miss = checkTargets(heavy).find((x) => x.target.startsWith("messages"))!;
    expect(miss.met).toBe(false);
    expect(miss.value).toBeCloseTo(0.1, 10);
  });
});
