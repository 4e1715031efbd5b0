import { z } from "zod";

/**
 * Pulse's domain vocabulary, one definition each, imported by every folder (store, tools, agents,
 * workflows, interfaces).
 */

const promptRef = z.object({ id: z.string(), version: z.number(), hash: z.string() });

/** One campaign of a cycle's plan: a segment reached by one strategy, channel and offer, with its copy variants. */
export const campaignSchema = z.object({
  campaignId: z.string(),
  segmentId: z.string(),
  segmentName: z.string(),
  strategy: z.string(),
  channel: z.string(),
  offerDepth: z.number(),
  /** Send at this hour in each customer's own time zone. */
  sendHourLocal: z.number().int().min(0).max(23),
  source: z.enum(["llm", "offline"]),
  variants: z.array(
    z.object({
      variantId: z.string(),
      fields: z.record(z.string(), z.string()),
      prompt: promptRef.optional(),
    }),
  ),
});
export type Campaign = z.infer<typeof campaignSchema>;
