import { z } from "zod";
import { SENDING_STRATEGIES, STRATEGIES, type SendingStrategy, type Strategy } from "../../core/domain.js";
import type { ChannelFields } from "../../guardrails/content-qa-channels.js";
import type { ContentQaVerdict } from "../../guardrails/content-qa.js";
import { CHANNELS, type Channel } from "../../ingest/formats.js";
import type { PromptRef } from "../../prompts/registry.js";

/** What the strategist can decide for a segment; `cooldown` and `suppress` send nothing, so get no copy. */
export const COPY_STRATEGIES = STRATEGIES;
export type CopyStrategy = Strategy;
export { SENDING_STRATEGIES, type SendingStrategy };

export function isSendingStrategy(s: CopyStrategy): s is SendingStrategy {
  return (SENDING_STRATEGIES as readonly string[]).includes(s);
}

/** A segment as the copywriter sees it: a name and words, never customers. */
export const copySegmentSchema = z.object({
  segmentId: z.string().min(1).max(128),
  name: z.string().min(1).max(120),
  size: z.number().int().min(0).optional(),
  /** Key traits in words, e.g. "buys every 3-4 weeks", "mostly grocery", "opens email in the evening". */
  profileWords: z.array(z.string().min(1).max(200)).max(30).default([]),
});
export type CopySegment = z.input<typeof copySegmentSchema>;

export const copyOfferSchema = z.object({
  /** Approved discount depth: 0.15 = 15% off; 0 = no discount. */
  depth: z.number().min(0).max(0.9),
  /** The guardrail cap the depth was approved under. */
  maxDepth: z.number().min(0).max(0.9).optional(),
  /** The category the offer is about, when there is one (the per-customer {{category}} still renders per customer). */
  category: z.string().min(1).max(60).optional(),
});
export type CopyOffer = z.input<typeof copyOfferSchema>;

export const brandVoiceSchema = z.object({
  name: z.string().min(1).max(60),
  /** e.g. "warm, plain-spoken, never pushy". */
  tone: z.string().min(1).max(300),
  bannedWords: z.array(z.string().min(1).max(60)).max(200).default([]),
});
export type BrandVoice = z.input<typeof brandVoiceSchema>;

export type CopySource = "llm" | "offline";

interface VariantOf<C extends Channel> {
  /** Stable id: `<strategy>.<channel>.<n>` for the library, `llm.<hash>` for model-written copy. */
  variantId: string;
  channel: C;
  strategy: SendingStrategy;
  source: CopySource;
  /** Handlebars templates with {{first_name}}, {{category}}, {{offer_code}}, {{unsubscribe_url}}. */
  fields: ChannelFields<C>;
  /** The offer depth the copy states. */
  offerDepth: number;
  /** The prompt that wrote it (LLM copy only). */
  prompt?: PromptRef;
  /** Template-stage content QA verdict. */
  qa: ContentQaVerdict;
}
export type CopyVariant = { [C in Channel]: VariantOf<C> }[Channel];

export const channelListSchema = z.enum(CHANNELS);
