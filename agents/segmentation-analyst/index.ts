import { z } from "zod";
import { renderMessages } from "../../prompts/registry.js";
import type { LlmClient } from "../llm/types.js";
import { runAgent, type AgentProvenance } from "../run-agent.js";

/**
 * The segmentation analyst explains the segments the segment tool found, in plain words. Names
 * come from the tool (deterministic, stable across refreshes); the analyst writes the description
 * a marketer reads. It sees profiles (sizes, z-scores), never customers.
 */
export interface SegmentBrief {
  segmentId: string;
  name: string;
  size: number;
  share: number;
  valueShare: number | null;
  topFeatures: { feature: string; z: number; direction: "high" | "low" }[];
}

export interface ExplainedSegment {
  segmentId: string;
  name: string;
  description: string;
}

const FEATURE_WORDS: Record<string, [high: string, low: string]> = {
  recency_days: ["have not bought for a long time", "bought recently"],
  frequency: ["buy often", "buy rarely"],
  monetary: ["spend a lot", "spend little"],
  aov: ["fill large baskets", "fill small baskets"],
  tenure_days: ["have been customers for years", "joined recently"],
  overdue_ratio: ["are overdue for their next purchase", "are on their usual rhythm"],
  discount_share: ["buy mostly on discount", "rarely use discounts"],
  margin_rate: ["buy high-margin items", "buy low-margin items"],
  return_rate: ["return often", "rarely return"],
  days_since_engagement: ["have not engaged with messages lately", "engage with messages"],
};

function phrase(f: { feature: string; z: number; direction: "high" | "low" }): string {
  const words = FEATURE_WORDS[f.feature];
  const text = words ? words[f.direction === "high" ? 0 : 1] : `${f.direction} ${f.feature.replaceAll("_", " ")}`;
  return `${text} (${f.z >= 0 ? "+" : ""}${f.z.toFixed(1)} sd)`;
}

export function describeSegmentOffline(s: SegmentBrief): string {
  const traits = s.topFeatures.slice(0, 3).map(phrase);
  const value = s.valueShare === null ? "" : `, ${(100 * s.valueShare).toFixed(0)}% of spend`;
  return `${s.size.toLocaleString("en")} customers (${(100 * s.share).toFixed(0)}% of the base${value}) who ${traits.length ? traits.join(", ") : "look like the average customer"}.`;
}

const answerSchema = z.object({
  segments: z.array(z.object({ segmentId: z.string(), description: z.string().min(10).max(400) })),
});

export async function explainSegments(
  segments: readonly SegmentBrief[],
  deps: { llm?: LlmClient },
): Promise<{ segments: ExplainedSegment[]; provenance: AgentProvenance }> {
  const offline = () => segments.map((s) => ({ segmentId: s.segmentId, name: s.name, description: describeSegmentOffline(s) }));
  const { output, provenance } = await runAgent({
    agent: "segmentation-analyst",
    llm: deps.llm,
    prompt: () =>
      renderMessages("segmentation-analyst", {
        segments: segments.map((s) => ({ ...s, offlineDescription: describeSegmentOffline(s) })),
      }),
    schema: answerSchema,
    accept: (answer) => {
      const byId = new Map(answer.segments.map((s) => [s.segmentId, s.description]));
      const missing = segments.filter((s) => !byId.has(s.segmentId));
      if (missing.length) throw new Error(`answer misses segments ${missing.map((s) => s.segmentId).join(", ")}`);
      return segments.map((s) => ({ segmentId: s.segmentId, name: s.name, description: byId.get(s.segmentId)! }));
    },
    offline,
  });
  return { segments: output, provenance };
}
