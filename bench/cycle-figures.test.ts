import { describe, expect, it } from "vitest";
import { benchSizes, cycleBenchOptionsSchema, formatRatio, formatTable, nodeSeconds } from "./cycle-figures.js";

describe("bench:cycle helpers", () => {
  it("parses --customers and --seed from strings and refuses nonsense", () => {
    expect(cycleBenchOptionsSchema.parse({ customers: "20000", seed: "3" })).toEqual({ customers: 20_000, seed: 3 });
    expect(cycleBenchOptionsSchema.safeParse({ customers: "abc", seed: "1" }).success).toBe(false);
    expect(cycleBenchOptionsSchema.safeParse({ customers: "1.5", seed: "1" }).success).toBe(false);
    expect(cycleBenchOptionsSchema.safeParse({ customers: "50", seed: "1" }).success).toBe(false);
  });

  it("measures N/10 then N", () => {
    expect(benchSizes(20_000)).toEqual([2_000, 20_000]);
    expect(benchSizes(1_000_005)).toEqual([100_001, 1_000_005]);
  });

  it("times each node from the checkpoint that has it due to the next one, in any order", () => {
    const marks = [
      { createdAt: "2026-01-01T00:00:03.500Z", next: ["compose"] },
      { createdAt: "2026-01-01T00:00:00.000Z", next: ["refresh_segments"] },
      { createdAt: "2026-01-01T00:00:04.000Z", next: [] },
      { createdAt: "2026-01-01T00:00:02.000Z", next: ["plan_campaigns"] },
    ];
    expect(nodeSeconds(marks)).toEqual({ refresh_segments: 2, plan_campaigns: 1.5, compose: 0.5 });
    expect(nodeSeconds([])).toEqual({});
  });

  it("formats ratios and marks the ones it cannot compute", () => {
    expect(formatRatio(2, 19.6)).toBe("×9.8");
    expect(formatRatio(1, 250)).toBe("×250");
    expect(formatRatio(0, 5)).toBe("n/a");
    expect(formatRatio(undefined, 5)).toBe("n/a");
  });

  it("prints one aligned line per figure with both sizes and the ratio", () => {
    const table = formatTable(
      [2_000, 20_000],
      [
        { label: "ingest", unit: "s", small: 1.234, large: 12.5 },
        { label: "sent", unit: "msgs", small: 483, large: undefined },
      ],
    ).split("\n");
    expect(table).toHaveLength(4);
    expect(table[0]).toMatch(/^figure\s+2,000 customers\s+20,000 customers\s+ratio$/);
    expect(table[2]).toMatch(/^ingest \(s\)\s+1\.23\s+12\.5\s+×10\.1$/);
    expect(table[3]).toMatch(/^sent \(msgs\)\s+483\s+-\s+n\/a$/);
    expect(new Set(table.map((l) => l.length)).size).toBe(1);
  });
});
