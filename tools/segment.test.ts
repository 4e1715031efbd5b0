import { describe, expect, it } from "vitest";
import { InputError } from "../core/errors.js";
import { createSegmentTool, segmentMatrix, segmentTool, SegmentOutputSchema } from "./segment.js";
import { gaussianMixture } from "./segment-fixtures.js";
import { adjustedRandIndex } from "./segment-metrics.js";

const F6 = ["recency_days", "frequency", "monetary", "aov", "discount_share", "tenure_days"];

/** k clean cluster centers at ±6 along the axes of 6-d space: pairwise ≥ 8.5 apart, noise 1. */
const axisCenters = (k: number): number[][] =>
  Array.from({ length: k }, (_, c) => Array.from({ length: 6 }, (_, t) => (t === c % 6 ? (c < 6 ? 6 : -6) : 0)));

describe("segmentMatrix", () => {
  it("recovers well-separated clusters (ARI ≥ 0.9) and picks the true k", () => {
    for (const [k, seed] of [
      [4, 1],
      [5, 2],
      [7, 3],
    ]) {
      const mix = gaussianMixture({ n: 2_500, d: 6, centers: axisCenters(k), seed });
      const { labels, summary } = segmentMatrix({ ids: mix.ids, features: F6, data: mix.data }, { seed: 42, dbscan: { enabled: false } });
      expect(summary.k).toBe(k);
      expect(adjustedRandIndex(labels, mix.truth)).toBeGreaterThanOrEqual(0.9);
      expect(summary.selection.candidates.map((c) => c.k)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
      const best = summary.selection.candidates.find((c) => c.k === k)!;
      expect(best.daviesBouldin).toBe(Math.min(...summary.selection.candidates.map((c) => c.daviesBouldin)));
    }
  });

  it("fits on a sample for large N and still assigns and profiles everyone", () => {
    const mix = gaussianMixture({ n: 60_000, d: 6, centers: 5, seed: 9, spread: 3 });
    const { labels, summary } = segmentMatrix(
      { ids: mix.ids, features: F6, data: mix.data },
      { fitSampleSize: 3_000, silhouetteSampleSize: 800, dbscan: { sampleSize: 800 } },
    );
    expect(summary.selection.fitSampleSize).toBe(3_000);
    expect(summary.segments.reduce((a, s) => a + s.size, 0)).toBe(60_000);
    expect(adjustedRandIndex(labels, mix.truth)).toBeGreaterThanOrEqual(0.9);
    expect(summary.density.sampled).toBe(true);
    expect(summary.density.sampleSize).toBe(800);
    // Exact profiles: size-weighted mean z of every feature is 0 over the population.
    for (const f of F6) expect(Math.abs(summary.segments.reduce((a, s) => a + s.meanZ[f] * s.size, 0) / 60_000)).toBeLessThan(1e-3);
  });

  it("is deterministic for a seed", () => {
    const mix = gaussianMixture({ n: 1_200, d: 6, centers: 4, seed: 5, spread: 2 });
    const a = segmentMatrix({ ids: mix.ids, features: F6, data: mix.data }, { seed: 7 });
    const b = segmentMatrix({ ids: mix.ids, features: F6, data: mix.data }, { seed: 7 });
    expect(b.summary).toEqual(a.summary);
    expect(Array.from(b.labels)).toEqual(Array.from(a.labels));
  });

  it("profiles segments: shares, value shares from raw monetary, z-scores, distinguishing features, unique names", () => {
    // Raw RFM-like columns on very different scales; segment 0 spends far more.
    const centers = [
      [5, 20, 3_000, 150, 0.05, 900],
      [120, 2, 80, 40, 0.1, 1_000],
      [20, 6, 400, 60, 0.6, 300],
      [15, 1, 60, 55, 0.05, 20],
    ];
    const mix = gaussianMixture({ n: 2_000, d: 6, centers, seed: 3, noise: 1 });
    const { summary } = segmentMatrix({ ids: mix.ids, features: F6, data: mix.data }, { k: 4, seed: 1 });
    expect(summary.standardization?.mean[2]).toBeGreaterThan(500);
    const shares = summary.segments.reduce((a, s) => a + (s.valueShare ?? 0), 0);
    expect(shares).toBeCloseTo(1, 3);
    const big = summary.segments.find((s) => s.meanZ.monetary > 1)!;
    expect(big.valueShare).toBeGreaterThan(0.7);
    expect(big.topFeatures[0].direction).toBe("high");
    expect(summary.segments.map((s) => s.name)).toEqual([...new Set(summary.segments.map((s) => s.name))]);
    expect(big.name).toBe("Premium Loyalists");
    expect(summary.segments.map((s) => s.archetype).sort()).toEqual([
      "Coupon-Driven Floaters",
      "Hibernating",
      "New Customers",
      "Premium Loyalists",
    ]);
  });

  it("accepts pre-standardized input and reports no value share without raw values", () => {
    const mix = gaussianMixture({ n: 1_000, d: 6, centers: 3, seed: 2 });
    const { summary } = segmentMatrix({ ids: mix.ids, features: F6, data: mix.data, standardized: true }, { k: 3 });
    expect(summary.standardization).toBeNull();
    expect(summary.segments.every((s) => s.valueShare === null)).toBe(true);
  });

  it("rejects malformed input", () => {
    const ok = { ids: ["a", "b", "c", "d"], features: ["x"], data: Float64Array.from([1, 2, 3, 4]) };
    expect(() => segmentMatrix({ ...ok, data: Float64Array.from([1, 2, 3]) }, { k: 2 })).toThrow(InputError);
    expect(() => segmentMatrix({ ...ok, data: Float64Array.from([1, Number.NaN, 3, 4]) }, { k: 2 })).toThrow(/feature x of customer b/);
    expect(() => segmentMatrix({ ...ok, ids: ["a", "b"], data: Float64Array.from([1, 2]) })).toThrow(InputError);
  });
});

describe("segment tool", () => {
  const mix = gaussianMixture({ n: 600, d: 6, centers: 3, seed: 4, spread: 3 });
  const rows = Array.from({ length: 600 }, (_, i) => Array.from(mix.data.subarray(i * 6, i * 6 + 6)));

  it("validates JSON input and returns assignments for every customer", () => {
    const out = segmentTool.run({ ids: mix.ids, features: F6, rows, options: { kMax: 6 } });
    expect(out.k).toBe(3);
    expect(Object.keys(out.assignments ?? {})).toHaveLength(600);
    const ids = new Set(out.segments.map((s) => s.id));
    expect(Object.values(out.assignments ?? {}).every((id) => ids.has(id))).toBe(true);
    const agreement = adjustedRandIndex(
      mix.ids.map((id) => out.assignments![id]),
      mix.truth,
    );
    expect(agreement).toBeGreaterThanOrEqual(0.9);
  });

  it("rejects rows of the wrong width", () => {
    expect(() => segmentTool.run({ ids: ["a", "b"], features: ["x", "y"], rows: [[1, 2], [3]] })).toThrow(InputError);
  });

  it("as an agent tool with a loader, takes only options and omits assignments", async () => {
    const tool = createSegmentTool({ loadInput: () => ({ ids: mix.ids, features: F6, rows }) });
    const raw = await tool.invoke({ options: { kMin: 2, kMax: 5, seed: 3 } });
    const out = SegmentOutputSchema.parse(JSON.parse(String(raw)));
    expect(out.k).toBe(3);
    expect(out.assignments).toBeUndefined();
    expect(tool.name).toBe("segment_customers");
  });
});
