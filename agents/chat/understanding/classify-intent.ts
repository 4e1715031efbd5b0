import { containerBootstrap } from "@nlpjs/core";
import { LangEn } from "@nlpjs/lang-en-min";
import { NluNeural } from "@nlpjs/nlu";
import { intentSchema, type Intent } from "../contract.js";
import { CORPUS, NONE_CORPUS } from "./corpus.js";
import { maskEntities } from "./normalize.js";

export interface IntentGuess {
  intent: Intent;
  score: number;
  /** The runner-up, for explanations and tests. */
  alternatives: Array<{ intent: string; score: number }>;
}

/** Below this score the classifier's best guess is not trusted and the request is `unknown`. */
export const MIN_INTENT_SCORE = 0.55;

export interface IntentClassifier {
  classify(normalizedText: string): Promise<IntentGuess>;
}

/** Trains an NLP.js neural classifier on Pulse's corpus (a fraction of a second; do it once). */
export async function trainIntentClassifier(): Promise<IntentClassifier> {
  const container = await containerBootstrap();
  container.use(LangEn);
  const nlu = new NluNeural({ locale: "en", container, log: false, useNoneFeature: true });
  const corpus = [
    ...Object.entries(CORPUS).flatMap(([intent, utterances]) =>
      utterances.map((u) => ({ utterance: maskEntities(u.toLowerCase()), intent })),
    ),
    ...NONE_CORPUS.map((u) => ({ utterance: u, intent: "None" })),
  ];
  await nlu.train(corpus);
  return {
    async classify(normalizedText) {
      const { classifications } = await nlu.process(maskEntities(normalizedText));
      const [top, ...rest] = classifications;
      const parsed = intentSchema.safeParse(top?.intent);
      const intent: Intent = parsed.success && top!.score >= MIN_INTENT_SCORE ? parsed.data : "unknown";
      return { intent, score: top?.score ?? 0, alternatives: rest.slice(0, 2) };
    },
  };
}

let shared: Promise<IntentClassifier> | undefined;

/** One trained classifier per process. */
export function sharedIntentClassifier(): Promise<IntentClassifier> {
  shared ??= trainIntentClassifier();
  return shared;
}
