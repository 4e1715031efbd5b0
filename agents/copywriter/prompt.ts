import { SMS_STOP_TEXT, fieldNames } from "../../guardrails/content-qa-channels.js";
import { formatPercent } from "../../guardrails/content-qa.js";
import type { Channel } from "../../ingest/formats.js";
import { type PromptRef, renderMessages } from "../../prompts/registry.js";
import type { SendingStrategy } from "./types.js";

export const COPYWRITER_PROMPT_ID = "copywriter";

/** What each strategy asks of the copy (part of the prompt's data, not of the customer's). */
export const STRATEGY_BRIEFS: Record<SendingStrategy, string> = {
  targeted_promo: "these customers buy regularly; make a relevant offer on what they already like, and thank them.",
  reengage: "these customers stopped opening our messages; a light, friendly touch with something new, no pressure.",
  winback: "these customers have not bought for a long time; give them a clear, warm reason to come back.",
  cross_sell: "these customers are loyal to other categories; introduce the recommended {{category}} as something new that suits them.",
};

export interface CopyPromptInput {
  brand: { name: string; tone: string; bannedWords: readonly string[] };
  channel: Channel;
  strategy: SendingStrategy;
  segment: { name: string; size?: number; profileWords: readonly string[] };
  offer: { depth: number; category?: string };
  variants: number;
  /** Failed earlier variants and why, for a regeneration call. */
  feedback?: readonly { copy: string; reasons: readonly string[] }[];
  version?: number;
}

export interface CopyPrompt {
  ref: PromptRef;
  system: string;
  user: string;
}

export function buildCopyPrompt(input: CopyPromptInput): CopyPrompt {
  const hasOffer = input.offer.depth > 0;
  return renderMessages(
    COPYWRITER_PROMPT_ID,
    {
      brand: { ...input.brand, bannedWords: [...input.brand.bannedWords] },
      hasBannedWords: input.brand.bannedWords.length > 0,
      hasOffer,
      offerPercent: formatPercent(input.offer.depth),
      hasOfferCategory: input.offer.category !== undefined,
      offerCategory: input.offer.category ?? "",
      isEmail: input.channel === "email",
      isSms: input.channel === "sms",
      isPush: input.channel === "push",
      isInApp: input.channel === "in_app",
      stopText: SMS_STOP_TEXT,
      variants: input.variants,
      fieldList: fieldNames(input.channel)
        .map((f) => `"${f}": string`)
        .join(", "),
      segment: { name: input.segment.name, size: input.segment.size ?? 0, profileWords: [...input.segment.profileWords] },
      hasSize: input.segment.size !== undefined,
      hasProfile: input.segment.profileWords.length > 0,
      strategy: input.strategy,
      strategyBrief: STRATEGY_BRIEFS[input.strategy],
      hasFeedback: (input.feedback?.length ?? 0) > 0,
      feedback: (input.feedback ?? []).map((f) => ({ copy: f.copy, reasons: [...f.reasons] })),
    },
    input.version,
  );
}
