import { describe, expect, it } from "vitest";
import { migrationSummary } from "./segment-identity.js";

describe("migration summary", () => {
  it("is null on a first run", () => {
    expect(migrationSummary(null)).toBeNull();
  });

  it("counts customers whose segment id changed, and lists the largest flows between different ids", () => {
    const m = migrationSummary(
      {
        basis: "memberships",
        from: ["S1", "S2", "S3"],
        to: ["S1", "S2", "S4"],
        counts: [
          [90, 6, 4],
          [10, 50, 0],
          [0, 30, 0],
        ],
        entered: [3, 0, 2],
        left: [1, 0, 7],
      },
      2,
    );
    expect(m).toEqual({
      moved: 6 + 4 + 10 + 30,
      entered: 5,
      left: 8,
      flows: [
        { from: "S3", to: "S2", customers: 30 },
        { from: "S2", to: "S1", customers: 10 },
      ],
    });
  });

  it("keeps a segment whose id carried over out of the flows, however many customers stay", () => {
    const m = migrationSummary({ basis: "previous-centroids", from: ["S1"], to: ["S1"], counts: [[500]], entered: [0], left: [0] });
    expect(m).toEqual({ moved: 0, entered: 0, left: 0, flows: [] });
  });
});
