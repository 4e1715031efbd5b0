import { describe, expect, it } from "vitest";
import { DEFAULT_LLM_PRICES } from "../agents/llm/prices.js";
import { measureChatLlmCost } from "./chat-llm-cost.js";
import { chatEvalPath, loadLabeled } from "./chat-understanding.js";

describe("the chat agent's LLM path cost (local test server)", () => {
  it("prices each request's tokens through the real tool loop, one extra call where dates are asked", async () => {
    const labels = await loadLabeled(chatEvalPath);
    const withDates = labels.filter((l) => ["as_of", "window", "until", "period", "from", "to"].some((p) => p in l.params)).length;
    const r = await measureChatLlmCost({ path: chatEvalPath });
    expect(r.requests).toBe(labels.length);
    expect(r.understoodByLlm).toBe(labels.length);
    expect(r.modelCalls).toBe(labels.length + withDates);
    expect(r.modelCalls).toBeLessThan(2 * r.requests);
    expect(r.promptTokensPerRequest).toBeGreaterThan(300);
    const price = DEFAULT_LLM_PRICES["gpt-4o-mini"]!;
    const expected = (r.promptTokensPerRequest * price.inputPerMTok + r.completionTokensPerRequest * price.outputPerMTok) / 1e6;
    expect(r.costUsdPerRequest).toBeCloseTo(expected, 6);
  });
});
