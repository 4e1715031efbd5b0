import { describe, expect, it } from "vitest";
import { combineCallListeners, LlmAccounting } from "./accounting.js";
import { DEFAULT_LLM_PRICES, estimateCostUsd, priceFor, UNKNOWN_MODEL_PRICE } from "./prices.js";
import type { LlmCallRecord } from "./types.js";

const record = (over: Partial<LlmCallRecord> = {}): LlmCallRecord => ({
  agent: "copywriter",
  model: "gpt-4o-mini",
  prompt: { id: "copy", version: 1, hash: "h" },
  attempts: 1,
  ok: true,
  usage: { promptTokens: 1_000, completionTokens: 200, costUsd: 0.00027 },
  latencyMs: 40,
  redactedPrompt: "",
  redactedAnswer: "",
  ...over,
});

describe("prices", () => {
  it("matches dated snapshots to their family by the longest prefix", () => {
    expect(priceFor("gpt-4o-mini-2024-07-18")).toEqual({ price: DEFAULT_LLM_PRICES["gpt-4o-mini"], known: true });
    expect(priceFor("gpt-4o-2024-08-06")).toEqual({ price: DEFAULT_LLM_PRICES["gpt-4o"], known: true });
    expect(priceFor("llama-3.1-8b")).toEqual({ price: UNKNOWN_MODEL_PRICE, known: false });
  });

  it("estimates cost per million tokens, with a custom table", () => {
    expect(estimateCostUsd("gpt-4o-mini", { promptTokens: 1_000_000, completionTokens: 1_000_000 })).toBeCloseTo(0.75, 10);
    expect(
      estimateCostUsd("local", { promptTokens: 2_000_000, completionTokens: 0 }, { local: { inputPerMTok: 0, outputPerMTok: 0 } }),
    ).toBe(0);
  });
});

describe("LlmAccounting", () => {
  it("aggregates totals and per-agent figures from call records", () => {
    const acc = new LlmAccounting();
    acc.record(record());
    acc.record(record({ agent: "strategist", attempts: 4, retries: 2, repairs: 1, toolCalls: 3, ok: false, error: "x" }));
    // A record without the split counts every extra attempt as a retry.
    acc.record(record({ agent: "strategist", model: "local-llm", attempts: 3 }));
    const s = acc.snapshot();
    expect(s).toMatchObject({
      calls: 3,
      failures: 1,
      retries: 4,
      repairs: 1,
      attempts: 8,
      toolCalls: 3,
      promptTokens: 3_000,
      completionTokens: 600,
      latencyMs: 120,
    });
    expect(s.costUsd).toBeCloseTo(0.00081, 12);
    expect(s.byAgent.strategist).toMatchObject({ calls: 2, failures: 1, retries: 4 });
    expect(s.byAgent.copywriter).toMatchObject({ calls: 1, retries: 0 });
    expect(s.unpricedModels).toEqual(["local-llm"]);
    expect(acc.summary()).toBe(
      "LLM: 3 calls, 1 failed, 4 retries, 1 re-ask, 3 tool calls, 3000 prompt + 600 completion tokens, est. $0.0008 (fallback price for local-llm)",
    );
  });

  it("starts empty", () => {
    expect(new LlmAccounting().summary()).toBe(
      "LLM: 0 calls, 0 failed, 0 retries, 0 re-asks, 0 tool calls, 0 prompt + 0 completion tokens, est. $0.0000",
    );
  });

  it("fans records out to several listeners", async () => {
    const acc = new LlmAccounting();
    const seen: string[] = [];
    await combineCallListeners(acc.listener, undefined, (r) => void seen.push(r.agent))(record());
    expect(acc.snapshot().calls).toBe(1);
    expect(seen).toEqual(["copywriter"]);
  });
});
