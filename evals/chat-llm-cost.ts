import { understandRequest } from "../agents/chat/understand.js";
import { createLlmClient } from "../agents/llm/openai-client.js";
import { CHAT_EVAL_NOW, chatEvalPath, loadLabeled, type LabeledRequest } from "./chat-understanding.js";
import { startTestLlmServer, type ChatRequest, type ScriptedReply } from "./llm-test-server/server.js";

/**
 * What the chat agent's LLM path costs per request: each labelled request is understood through the
 * real tool-calling loop (Pulse's prompt, the resolve_dates tool, zod parsing, Pulse's own cost
 * accounting) against the local OpenAI-compatible test server playing a model that answers right,
 * calling resolve_dates first when the request has dates (as a real model would). Tokens are
 * estimated as characters / 4 of everything sent (messages and tool schemas) and answered, so the
 * figure is the prompt's size priced at the configured model's rates, not a hosted model's billing.
 */

export interface ChatLlmCostReport {
  model: string;
  requests: number;
  modelCalls: number;
  promptTokensPerRequest: number;
  completionTokensPerRequest: number;
  costUsdPerRequest: number;
  costUsdPer1000Requests: number;
  /** Requests the LLM answer was used for (the rest fell back to the offline understanding). */
  understoodByLlm: number;
}

const DATE_PARAMS = ["as_of", "window", "until", "period", "from", "to"];
const tokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));

function modelReply(label: LabeledRequest, request: ChatRequest): ScriptedReply {
  const sent = JSON.stringify(request.messages) + JSON.stringify(request.tools ?? []);
  const calledTool = request.messages.some((m) => m.role === "tool");
  const wantsDates = DATE_PARAMS.some((p) => p in label.params);
  if (wantsDates && !calledTool) {
    const call = { name: "resolve_dates", arguments: { phrase: label.text.slice(0, 200), kind: "window" } };
    return {
      kind: "tool-calls",
      calls: [call],
      usage: { prompt_tokens: tokens(sent), completion_tokens: tokens(JSON.stringify(call)) },
    };
  }
  const answer = { intent: label.intent, params: label.params };
  return { kind: "json", value: answer, usage: { prompt_tokens: tokens(sent), completion_tokens: tokens(JSON.stringify(answer)) } };
}

export async function measureChatLlmCost(options: { path?: string; model?: string } = {}): Promise<ChatLlmCostReport> {
  const labels = await loadLabeled(options.path ?? chatEvalPath);
  const model = options.model ?? "gpt-4o-mini";
  let current: LabeledRequest = labels[0]!;
  const server = await startTestLlmServer({ responder: (request) => modelReply(current, request), model });
  try {
    const llm = createLlmClient({ apiKey: "local", baseURL: server.url, model, timeoutMs: 10_000, maxRetries: 0, maxRepairs: 0 });
    let cost = 0;
    let byLlm = 0;
    for (const label of labels) {
      current = label;
      const r = await understandRequest(label.text, { now: CHAT_EVAL_NOW, llm });
      cost += r.costUsd ?? 0;
      if (r.understoodBy === "llm") byLlm++;
    }
    const usage = server.usageTotals();
    const n = labels.length;
    return {
      model,
      requests: n,
      modelCalls: server.chatRequests(),
      promptTokensPerRequest: Math.round(usage.prompt_tokens / n),
      completionTokensPerRequest: Math.round(usage.completion_tokens / n),
      costUsdPerRequest: cost / n,
      costUsdPer1000Requests: (cost / n) * 1000,
      understoodByLlm: byLlm,
    };
  } finally {
    await server.close();
  }
}

export function formatChatLlmCost(r: ChatLlmCostReport): string {
  return [
    `Chat understanding, LLM path (${r.model}, local test server, tokens estimated as characters / 4): ${r.requests} requests`,
    `  model calls          ${r.modelCalls} (${(r.modelCalls / r.requests).toFixed(2)} per request: resolve_dates first when dates are asked)`,
    `  tokens per request   ${r.promptTokensPerRequest} prompt + ${r.completionTokensPerRequest} completion`,
    `  cost per request     $${r.costUsdPerRequest.toFixed(6)}  ($${r.costUsdPer1000Requests.toFixed(3)} per 1,000 requests)`,
    `  answers used         ${r.understoodByLlm} of ${r.requests} (the rest fell back to the offline understanding)`,
  ].join("\n");
}
