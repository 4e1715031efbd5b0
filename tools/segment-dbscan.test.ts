import { describe, expect, it } from "vitest";
import { segmentMatrix } from "./segment.js";
import { kDistances, kneeValue } from "./segment-dbscan.js";
import { gaussian, gaussianMixture } from "./segment-fixtures.js";
import { pairwiseDistances } from "./segment-metrics.js";
import { createRandom } from "./segment-sample.js";

const d = 3;
const F = ["a", "b", "c"];

/** Three blobs plus `planted` isolated points on a shell of radius 14 around the origin. */
function withOutliers(planted: number) {
  const mix = gaussianMixture({
    n: 1_500,
    d,
    centers: [
      [0, 0, 0],
      [6, 0, 0],
      [0, 6, 0],
    ],
    seed: 8,
  });
  const r = createRandom(99);
  const extra = new Float64Array(planted * d);
  for (let i = 0; i < planted; i++) {
    const v = [gaussian(r), gaussian(r), gaussian(r)];
    const norm = Math.hypot(...v);
    for (let t = 0; t < d; t++) extra[i * d + t] = (v[t] / norm) * 14;
  }
  const data = new Float64Array(mix.data.length + extra.length);
  data.set(mix.data);
  data.set(extra, mix.data.length);
  const ids = [...mix.ids, ...Array.from({ length: planted }, (_, i) => `outlier-${i}`)];
  return { ids, data };
}

describe("DBSCAN outliers and niches", () => {
  it("flags planted outliers as noise with few false alarms", () => {
    const { ids, data } = withOutliers(15);
    const { summary } = segmentMatrix({ ids, features: F, data }, { seed: 3, kMin: 2, kMax: 6, dbscan: { sampleSize: 2_000 } });
    const noise = new Set(summary.density.outliers.ids);
    const caught = ids.filter((id) => id.startsWith("outlier-") && noise.has(id)).length;
    expect(caught).toBeGreaterThanOrEqual(14);
    expect(noise.size - caught).toBeLessThanOrEqual(30); // < 2% of 1,500 inliers
    expect(summary.density.sampled).toBe(false);
  });

  it("reports a small dense group inside a larger segment as a niche", () => {
    const diffuse = gaussianMixture({
      n: 1_200,
      d,
      centers: [
        [0, 0, 0],
        [12, 0, 0],
      ],
      seed: 4,
      noise: 1.2,
    });
    const tight = gaussianMixture({ n: 60, d, centers: [[4.2, 4.2, 0]], seed: 5, noise: 0.08 });
    const data = new Float64Array(diffuse.data.length + tight.data.length);
    data.set(diffuse.data);
    data.set(tight.data, diffuse.data.length);
    const ids = [...diffuse.ids, ...tight.ids.map((id) => `niche-${id}`)];
    const { summary } = segmentMatrix({ ids, features: F, data }, { seed: 1, k: 2, dbscan: { sampleSize: 2_000 } });
    const niche = summary.density.niches.find((n) => n.memberIds.filter((id) => id.startsWith("niche-")).length >= 50);
    expect(niche).toBeDefined();
    expect(niche!.memberIds.every((id) => id.startsWith("niche-"))).toBe(true);
    expect(niche!.shareOfSegment).toBeLessThan(0.2);
  });

  it("derives eps from the knee of the sorted k-distance curve", () => {
    // 200 points on a tight line, 5 far away: the knee sits at the end of the dense part.
    const x = new Float64Array(205);
    for (let i = 0; i < 200; i++) x[i] = i * 0.01;
    for (let i = 0; i < 5; i++) x[200 + i] = 100 + i * 20;
    const kd = kDistances(pairwiseDistances(x, 205, 1), 205, 4);
    const eps = kneeValue(kd);
    expect(eps).toBeGreaterThanOrEqual(0.02);
    expect(eps).toBeLessThan(1);
  });
});
