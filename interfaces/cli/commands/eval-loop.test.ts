import { describe, expect, it } from "vitest";
import { segmentChangesLine } from "./eval-loop.js";

describe("the loop report's segment line", () => {
  it("says a first segmentation has nothing to compare with", () => {
    expect(segmentChangesLine({ segments: 8, births: [], deaths: [], migrated: null, flows: [], stability: null })).toBe(
      "8 segments, first segmentation",
    );
  });

  it("names births, deaths and the largest migrations with the stability", () => {
    expect(
      segmentChangesLine({
        segments: 9,
        births: ["S10"],
        deaths: ["S3", "S4"],
        migrated: 1234,
        flows: [
          { from: "S3", to: "S10", customers: 800 },
          { from: "S1", to: "S2", customers: 40 },
        ],
        stability: 0.875,
      }),
    ).toBe("9 segments; born S10; retired S3, S4; 1,234 customers migrated (stability 87.5%): S3→S10 800, S1→S2 40");
  });
});
