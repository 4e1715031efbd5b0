/**
 * Estimated LLM prices in USD per million tokens. Estimates for cost reporting, not billing: check
 * the provider's price page and pass your own table (`prices`) when they change.
 */
export interface ModelPrice {
  inputPerMTok: number;
  outputPerMTok: number;
}

export type LlmPriceTable = Readonly<Record<string, ModelPrice>>;

export const DEFAULT_LLM_PRICES: LlmPriceTable = {
  "gpt-4o-mini": { inputPerMTok: 0.15, outputPerMTok: 0.6 },
  "gpt-4o": { inputPerMTok: 2.5, outputPerMTok: 10 },
  "gpt-4.1-nano": { inputPerMTok: 0.1, outputPerMTok: 0.4 },
  "gpt-4.1-mini": { inputPerMTok: 0.4, outputPerMTok: 1.6 },
  "gpt-4.1": { inputPerMTok: 2, outputPerMTok: 8 },
  "gpt-5-nano": { inputPerMTok: 0.05, outputPerMTok: 0.4 },
  "gpt-5-mini": { inputPerMTok: 0.25, outputPerMTok: 2 },
  "gpt-5": { inputPerMTok: 1.25, outputPerMTok: 10 },
  "o4-mini": { inputPerMTok: 1.1, outputPerMTok: 4.4 },
  o3: { inputPerMTok: 2, outputPerMTok: 8 },
};

/**
 * Unknown models (local servers, new releases) are priced like a mid-range hosted model, so a cost
 * estimate errs high rather than reading as free.
 */
export const UNKNOWN_MODEL_PRICE: ModelPrice = { inputPerMTok: 2.5, outputPerMTok: 10 };

/**
 * The price of a model: exact name first, then the longest table key that prefixes it, so dated
 * snapshots ("gpt-4o-mini-2024-07-18") find their family ("gpt-4o-mini", not "gpt-4o").
 */
export function priceFor(model: string, prices: LlmPriceTable = DEFAULT_LLM_PRICES): { price: ModelPrice; known: boolean } {
  const exact = prices[model];
  if (exact) return { price: exact, known: true };
  const family = Object.keys(prices)
    .filter((key) => model.startsWith(`${key}-`))
    .sort((a, b) => b.length - a.length)[0];
  return family ? { price: prices[family]!, known: true } : { price: UNKNOWN_MODEL_PRICE, known: false };
}

export function estimateCostUsd(
  model: string,
  tokens: { promptTokens: number; completionTokens: number },
  prices: LlmPriceTable = DEFAULT_LLM_PRICES,
): number {
  const { price } = priceFor(model, prices);
  return (tokens.promptTokens * price.inputPerMTok + tokens.completionTokens * price.outputPerMTok) / 1_000_000;
}
