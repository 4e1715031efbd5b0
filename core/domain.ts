import { z } from "zod";

/**
 * Pulse's domain vocabulary, one definition each, imported by every folder (store, tools, agents,
 * workflows, interfaces).
 */

/** The channels Pulse sends through (and reads engagement and consent for). */
export const CHANNELS = ["email", "sms", "push", "in_app"] as const;
export const channelSchema = z.enum(CHANNELS);
export type Channel = z.infer<typeof channelSchema>;

/** What Pulse can decide for a customer or a segment. `cooldown` and `suppress` send nothing. */
export const STRATEGIES = ["targeted_promo", "reengage", "cooldown", "winback", "cross_sell", "suppress"] as const;
export const strategySchema = z.enum(STRATEGIES);
export type Strategy = z.infer<typeof strategySchema>;

/** The strategies that send a message (and so get copy and campaigns). */
export const SENDING_STRATEGIES = ["targeted_promo", "reengage", "winback", "cross_sell"] as const satisfies readonly Strategy[];
export const sendingStrategySchema = z.enum(SENDING_STRATEGIES);
export type SendingStrategy = z.infer<typeof sendingStrategySchema>;

/** The strategies that send nothing. */
export const NO_CONTACT_STRATEGIES: readonly Strategy[] = ["cooldown", "suppress"];

/** The sending strategies that may carry a discount. */
export const OFFER_STRATEGIES: readonly SendingStrategy[] = ["targeted_promo", "winback"];

/** What the fatigue tool advises per customer. */
export const FATIGUE_STRATEGIES = ["cooldown", "reengage", "targeted_promo"] as const satisfies readonly Strategy[];
export const fatigueStrategySchema = z.enum(FATIGUE_STRATEGIES);
export type FatigueStrategy = z.infer<typeof fatigueStrategySchema>;

export function isChannel(value: string): value is Channel {
  return (CHANNELS as readonly string[]).includes(value);
}

export function isSendingStrategy(value: string): value is SendingStrategy {
  return (SENDING_STRATEGIES as readonly string[]).includes(value);
}

const promptRef = z.object({ id: z.string(), version: z.number(), hash: z.string() });

/** One campaign of a cycle's plan: a segment reached by one strategy, channel and offer, with its copy variants. */
export const campaignSchema = z.object({
  campaignId: z.string(),
  segmentId: z.string(),
  segmentName: z.string(),
  strategy: sendingStrategySchema,
  channel: channelSchema,
  offerDepth: z.number(),
  /** Send at this hour in each customer's own time zone. */
  sendHourLocal: z.number().int().min(0).max(23),
  /** The product category the campaign is about (a brief's category): the copy's {{category}}. */
  category: z.string().optional(),
  /** No send before this instant (ISO; a brief's window start later than the cycle's as-of). */
  sendFrom: z.string().optional(),
  /** No send from this instant on (ISO; the end of a brief's window, exclusive). */
  sendUntil: z.string().optional(),
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

/** What a first-party data file holds (ingest/formats.ts has each kind's columns and row schema). */
export const INGEST_KINDS = ["customers", "consents", "orders", "events", "responses", "suppressions"] as const;
export type IngestKind = (typeof INGEST_KINDS)[number];

/** An order line's status, and the kinds of response to a message (ingest/formats.ts's rows carry them). */
export const ORDER_STATUSES = ["completed", "returned", "cancelled"] as const;
export const RESPONSE_TYPES = ["delivered", "open", "click", "conversion", "unsubscribe", "bounce"] as const;

/**
 * Where a cycle is: the graph state's `status`, set by each step as it finishes. `failed` is set by
 * the cycle service when a step throws (the graph itself never reaches it).
 */
export const CYCLE_STATUSES = [
  "running",
  "refreshed",
  "planned",
  "composed",
  "awaiting_approval",
  "approved",
  "rejected",
  "activated",
  "measured",
  "done",
  "failed",
] as const;
export const cycleStatusSchema = z.enum(CYCLE_STATUSES);
export type CycleStatus = z.infer<typeof cycleStatusSchema>;

/**
 * The statuses the `cycles.status` column holds (what `pulse cycle list` shows): the steps before the
 * review (refreshed, planned, composed) all read "running" there.
 */
export const CYCLE_ROW_STATUSES = [
  "running",
  "awaiting_approval",
  "approved",
  "rejected",
  "activated",
  "measured",
  "done",
  "failed",
] as const satisfies readonly CycleStatus[];
export type CycleRowStatus = (typeof CYCLE_ROW_STATUSES)[number];

/** The `cycles.status` value of a cycle whose graph status is `status`: the one place the two meet. */
export function cycleRowStatus(status: CycleStatus): CycleRowStatus {
  switch (status) {
    case "refreshed":
    case "planned":
    case "composed":
      return "running";
    default:
      return status;
  }
}
