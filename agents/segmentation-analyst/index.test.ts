import { describe, expect, it } from "vitest";
import { describeSegmentOffline, explainSegments } from "./index.js";

const seg = {
  segmentId: "seg-2",
  name: "Dormant Loyalists",
  size: 1200,
  share: 0.12,
  valueShare: 0.2,
  topFeatures: [
    { feature: "recency_days", z: 1.6, direction: "high" as const },
    { feature: "frequency", z: 0.9, direction: "high" as const },
  ],
};

describe("segmentation analyst", () => {
  it("explains a segment in plain words from its profile", () => {
    expect(describeSegmentOffline(seg)).toBe(
      "1,200 customers (12% of the base, 20% of spend) who have not bought for a long time (+1.6 sd), buy often (+0.9 sd).",
    );
  });
  it("keeps the tool's names and falls back when the model misses a segment", async () => {
    const llm = {
      model: "fake",
      completeJson: async (req: { schema: { parse(x: unknown): unknown } }) => ({ value: req.schema.parse({ segments: [] }), record: {} }),
    };
    const out = await explainSegments([seg], { llm: llm as never });
    expect(out.provenance).toMatchObject({ source: "offline", fallbackReason: expect.stringMatching(/misses segments seg-2/) });
    expect(out.segments[0]!.name).toBe("Dormant Loyalists");
  });
});
