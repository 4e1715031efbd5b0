import type { PromptRef } from "../../prompts/registry.js";
import type { CallTally, ChatTransport } from "./chat-transport.js";
import { estimateCostUsd, type LlmPriceTable } from "./prices.js";
import type { LlmCallListener, LlmCallRecord, LlmToolCallListener } from "./types.js";

/** What completeJson and the tool loop share inside one client. */
export interface CallContext {
  transport: ChatTransport;
  prices: LlmPriceTable;
  maxRepairs: number;
  redact: (text: string) => string;
  now: () => number;
  onCall?: LlmCallListener;
  onToolCall?: LlmToolCallListener;
}

/** Appended when a system prompt never says "JSON": OpenAI's JSON mode requires the word. */
export function withJsonInstruction(system: string): string {
  return /json/i.test(system) ? system : `${system}\n\nAnswer with a single JSON object only.`;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

export function buildCallRecord(
  ctx: CallContext,
  call: {
    agent: string;
    prompt: PromptRef;
    tally: CallTally;
    repairs: number;
    startedAt: number;
    system: string;
    user: string;
    answer: string;
    error?: unknown;
    steps?: number;
    toolCalls?: number;
  },
): LlmCallRecord {
  const { tally } = call;
  const model = ctx.transport.model;
  return {
    agent: call.agent,
    model,
    prompt: call.prompt,
    attempts: tally.attempts,
    ok: call.error === undefined,
    ...(call.error === undefined ? {} : { error: ctx.redact(errorText(call.error)) }),
    usage: {
      promptTokens: tally.promptTokens,
      completionTokens: tally.completionTokens,
      costUsd: estimateCostUsd(model, tally, ctx.prices),
    },
    latencyMs: Math.max(0, Math.round(ctx.now() - call.startedAt)),
    redactedPrompt: ctx.redact(`${call.system}\n\n${call.user}`),
    redactedAnswer: ctx.redact(call.answer),
    retries: tally.retries,
    repairs: call.repairs,
    ...(call.steps === undefined ? {} : { steps: call.steps }),
    ...(call.toolCalls === undefined ? {} : { toolCalls: call.toolCalls }),
  };
}
