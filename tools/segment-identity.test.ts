import { describe, expect, it } from "vitest";
import { segmentMatrix, type SegmentSummary } from "./segment.js";
import { gaussianMixture } from "./segment-fixtures.js";
import type { PreviousSegmentation } from "./segment-identity.js";

const F = ["f1", "f2", "f3", "f4"];
const base = [
  [0, 0, 0, 0],
  [8, 0, 0, 0],
  [0, 8, 0, 0],
  [0, 0, 8, 0],
];

function previousOf(s: SegmentSummary, assignments?: Record<string, string>): PreviousSegmentation {
  return {
    features: s.features,
    segments: s.segments.map((g) => ({ id: g.id, centroid: g.centroid })),
    standardization: s.standardization,
    nextIdNumber: s.identity.nextIdNumber,
    assignments,
  };
}

/** Segment id holding most customers of each true cluster. */
function idByTruth(labels: Int32Array, truth: Int32Array, s: SegmentSummary, clusters: number): string[] {
  return Array.from({ length: clusters }, (_, c) => {
    const votes = new Map<string, number>();
    truth.forEach((t, i) => {
      if (t === c) votes.set(s.segments[labels[i]].id, (votes.get(s.segments[labels[i]].id) ?? 0) + 1);
    });
    return [...votes].sort((a, b) => b[1] - a[1])[0][0];
  });
}

const opts = { seed: 1, kMin: 3, kMax: 6, dbscan: { enabled: false } };

describe("segment identity across refreshes", () => {
  const first = gaussianMixture({ n: 2_000, d: 4, centers: base, seed: 1 });
  const run1 = segmentMatrix({ ids: first.ids, features: F, data: first.data }, opts);
  const ids1 = idByTruth(run1.labels, first.truth, run1.summary, 4);

  it("gives first-run ids by size and reports every segment as born", () => {
    expect(run1.summary.k).toBe(4);
    expect(run1.summary.segments.map((s) => s.id)).toEqual(["seg-1", "seg-2", "seg-3", "seg-4"]);
    expect(run1.summary.identity.births).toHaveLength(4);
    expect(run1.summary.identity.nextIdNumber).toBe(5);
  });

  it("keeps ids when centroids move a little", () => {
    const moved = base.map((c) => c.map((v) => v + 0.3));
    const next = gaussianMixture({ n: 2_000, d: 4, centers: moved, seed: 2 });
    const run2 = segmentMatrix({ ids: next.ids, features: F, data: next.data }, opts, previousOf(run1.summary));
    expect(idByTruth(run2.labels, next.truth, run2.summary, 4)).toEqual(ids1);
    expect(run2.summary.identity.births).toEqual([]);
    expect(run2.summary.identity.deaths).toEqual([]);
    expect(Math.max(...run2.summary.identity.matched.map((m) => m.distance))).toBeLessThan(0.5);
    const t = run2.summary.identity.transitions;
    expect(t?.basis).toBe("previous-centroids");
    expect(run2.summary.identity.stability).toBeGreaterThan(0.99);
  });

  it("reports a death when a cluster disappears and a birth with a fresh id when one appears", () => {
    const centers = [base[0], base[1], base[2], [0, 0, 0, 9]];
    const next = gaussianMixture({ n: 2_000, d: 4, centers, seed: 3 });
    const run2 = segmentMatrix({ ids: next.ids, features: F, data: next.data }, opts, previousOf(run1.summary));
    const ids2 = idByTruth(run2.labels, next.truth, run2.summary, 4);
    expect(ids2.slice(0, 3)).toEqual(ids1.slice(0, 3));
    expect(run2.summary.identity.births).toEqual(["seg-5"]);
    expect(ids2[3]).toBe("seg-5");
    expect(run2.summary.identity.deaths).toEqual([{ id: ids1[3], reason: "vanished", into: null }]);
    expect(run2.summary.identity.nextIdNumber).toBe(6);
  });

  it("detects a merge from memberships and counts transitions per customer", () => {
    const assignments: Record<string, string> = {};
    first.ids.forEach((id, i) => (assignments[id] = run1.summary.segments[run1.labels[i]].id));
    // Same customers; clusters 1 and 2 collapse onto their midpoint. 100 customers leave, 50 arrive.
    // Same seed and cluster count: every customer keeps its true cluster and noise draw.
    const centers = [base[0], [4, 4, 0, 0], [4, 4, 0, 0], base[3]];
    const next = gaussianMixture({ n: 2_000, d: 4, centers, seed: 1 });
    const ids = next.ids.map((id, i) => (i < 50 ? `new-${i}` : id)).slice(0, 1_950);
    const data = next.data.slice(0, 1_950 * 4);
    const run2 = segmentMatrix({ ids, features: F, data }, { ...opts, k: 3 }, previousOf(run1.summary, assignments));
    const identity = run2.summary.identity;
    expect(identity.merges).toHaveLength(1);
    expect([...identity.merges[0].from].sort()).toEqual([ids1[1], ids1[2]].sort());
    // The merged segment inherits one of the two ids; the other dies as merged.
    expect(identity.deaths).toHaveLength(1);
    expect(identity.deaths[0]).toMatchObject({ reason: "merged", into: identity.merges[0].into });
    expect([ids1[1], ids1[2]]).toContain(identity.merges[0].into);
    const t = identity.transitions;
    expect(t?.basis).toBe("memberships");
    const moved = t!.counts.flat().reduce((a, b) => a + b, 0);
    expect(moved).toBe(1_900);
    expect(t!.entered.reduce((a, b) => a + b, 0)).toBe(50);
    expect(t!.left.reduce((a, b) => a + b, 0)).toBe(100);
  });

  it("rejects a previous run over different features", () => {
    const prev = { ...previousOf(run1.summary), features: ["f1", "f2", "f3", "other"] };
    expect(() => segmentMatrix({ ids: first.ids, features: F, data: first.data }, opts, prev)).toThrow(/lacks features: f4/);
  });
});
