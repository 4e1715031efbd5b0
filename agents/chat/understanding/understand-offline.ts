import type { ParsedRequest } from "../contract.js";
import { sharedIntentClassifier, type IntentClassifier } from "./classify-intent.js";
import { extractParams } from "./extract.js";
import { normalizeText } from "./normalize.js";

export interface OfflineUnderstanding extends ParsedRequest {
  /** The classifier's confidence in the intent (0..1). */
  score: number;
}

/**
 * A request the classifier could not place that still reads as a brief: it names a strategy
 * ("win back", "stop messaging", "promo") and what the campaign is about (an audience, a
 * category, a channel or a discount depth). Terse briefs ("win-back for books, 5% max") and
 * audiences the corpus never named are where the classifier is least sure.
 */
export function readsAsBrief(params: Record<string, unknown>): boolean {
  const about = ["audience", "category", "channels", "max_discount"].some((k) => params[k] !== undefined);
  return params.strategy !== undefined && about;
}

/**
 * Understands a request without an LLM: the NLP.js classifier picks the intent, typed extraction
 * reads its parameters. `now` anchors relative dates ("this week", "until Monday").
 */
export async function understandOffline(
  text: string,
  options: { now: Date; classifier?: IntentClassifier },
): Promise<OfflineUnderstanding> {
  const classifier = options.classifier ?? (await sharedIntentClassifier());
  const normalized = normalizeText(text);
  const guess = await classifier.classify(normalized);
  if (guess.intent === "unknown") {
    const brief = extractParams("plan_campaign", text, normalized, options.now);
    if (readsAsBrief(brief)) return { intent: "plan_campaign", params: brief, score: guess.score };
  }
  return { intent: guess.intent, params: extractParams(guess.intent, text, normalized, options.now), score: guess.score };
}
