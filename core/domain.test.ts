import { describe, expect, it } from "vitest";
import { CYCLE_ROW_STATUSES, CYCLE_STATUSES, cycleRowStatus, cycleStatusSchema } from "./domain.js";

describe("cycleRowStatus", () => {
  it("reads the steps before the review as running in the cycles table", () => {
    expect(["refreshed", "planned", "composed"].map((s) => cycleRowStatus(cycleStatusSchema.parse(s)))).toEqual([
      "running",
      "running",
      "running",
    ]);
  });

  it("keeps every status the column already holds as it is", () => {
    for (const s of CYCLE_ROW_STATUSES) expect(cycleRowStatus(s)).toBe(s);
  });

  it("maps every graph status into the column's value set", () => {
    const column = new Set<string>(CYCLE_ROW_STATUSES);
    for (const s of CYCLE_STATUSES) expect(column.has(cycleRowStatus(s))).toBe(true);
  });

  it("refuses a status outside the vocabulary in the graph state", () => {
    expect(cycleStatusSchema.safeParse("planning").success).toBe(false);
  });
});
