import type { ParsedRequest } from "../contract.js";
import { sharedIntentClassifier, type IntentClassifier } from "./classify-intent.js";
import { extractParams } from "./extract.js";
import { normalizeText } from "./normalize.js";

export interface OfflineUnderstanding extends ParsedRequest {
  /** The classifier's confidence in the intent (0..1). */
  score: number;
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
  return { intent: guess.intent, params: extractParams(guess.intent, text, normalized, options.now), score: guess.score };
}
