import { describe, expect, it } from "vitest";
import type { CycleState } from "../../workflows/cycle/state.js";
import { segmentChangesOf } from "./pulse-policy.js";

type Refresh = NonNullable<CycleState["refresh"]>;
const segment = (segmentId: string) => ({
  segmentId,
  name: segmentId,
  size: 10,
  share: 0.5,
  valueShare: 0.5,
  description: "",
  traits: [],
  archetype: null,
});
const refresh = (identity: Refresh["identity"]): Refresh => ({
  segmentRunId: "r",
  customers: 20,
  k: 2,
  silhouette: null,
  daviesBouldin: null,
  segments: [segment("seg-1"), segment("seg-3")],
  identity,
  outliers: 0,
  churnAuc: null,
  seconds: 1,
});

describe("segment changes per loop cycle", () => {
  it("is null when the cycle did not refresh", () => {
    expect(segmentChangesOf(undefined)).toBeNull();
  });

  it("reports births, deaths and the refresh's migrations against the last run", () => {
    const flows = [{ from: "seg-2", to: "seg-3", customers: 7 }];
    expect(
      segmentChangesOf(
        refresh({
          matched: 1,
          births: ["seg-3"],
          deaths: ["seg-2"],
          stability: 0.65,
          migrations: { moved: 7, entered: 1, left: 0, flows },
        }),
      ),
    ).toEqual({ segments: 2, births: ["seg-3"], deaths: ["seg-2"], migrated: 7, flows, stability: 0.65 });
  });

  it("has no migrations on a first segmentation", () => {
    const first = segmentChangesOf(refresh({ matched: 0, births: ["seg-1", "seg-3"], deaths: [], stability: null }));
    expect(first).toMatchObject({ births: ["seg-1", "seg-3"], migrated: null, flows: [] });
  });
});
