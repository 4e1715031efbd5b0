import OpenAI from "openai";
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { z } from "zod";
import type { Config } from "../../core/config.js";
import { buildCallRecord, type CallContext, withJsonInstruction } from "./call-context.js";
import { createChatTransport, newTally } from "./chat-transport.js";
import { LlmOutputError } from "./errors.js";
import { parseJsonAnswer, repairInstruction } from "./json-answer.js";
import { DEFAULT_LLM_PRICES, type LlmPriceTable } from "./prices.js";
import { assertNoContactData, createRedactor, type RedactionOptions } from "./redact.js";
import type { RetryPolicy } from "./retry.js";
import { runToolLoop } from "./tool-loop.js";
import type { LlmCallListener, LlmCallRecord, LlmJsonRequest, LlmJsonResult, LlmToolCallListener, LlmToolClient } from "./types.js";

export interface LlmClientOptions {
  apiKey: string;
  /** OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1; the OpenAI API when omitted. */
  baseURL?: string;
  model: string;
  /** Per request attempt, response body included. */
  timeoutMs: number;
  /** Retries after transient failures (429, 5xx, timeouts, connection errors) per request. */
  maxRetries: number;
  /** Re-asks after an answer that is not valid JSON under the schema (completeJson). Default 2. */
  maxRepairs?: number;
  prices?: LlmPriceTable;
  /** Every LLM call, successful or not, for audit and accounting. Errors it throws propagate. */
  onCall?: LlmCallListener;
  /** Every tool call a model requests in a tool loop. */
  onToolCall?: LlmToolCallListener;
  /** Customer-id patterns to mask in records, besides e-mails, phones and 64-hex hashes. */
  redaction?: RedactionOptions;
  /** Backoff shape and injectable sleep/random for tests. */
  backoff?: Omit<RetryPolicy, "maxRetries">;
  /** Monotonic milliseconds, for latency. */
  now?: () => number;
}

export const DEFAULT_MAX_REPAIRS = 2;
export const DEFAULT_MAX_RETRIES = 3;

/**
 * The `openai` client behind Pulse's LlmClient. The SDK's own retries are off: ours count every
 * retry in the call record and honour Retry-After. Prompts carrying e-mail addresses or phone
 * numbers are refused before anything is sent.
 */
export function createLlmClient(options: LlmClientOptions): LlmToolClient {
  const openai = new OpenAI({
    apiKey: options.apiKey,
    ...(options.baseURL === undefined ? {} : { baseURL: options.baseURL }),
    timeout: options.timeoutMs,
    maxRetries: 0,
  });
  const ctx: CallContext = {
    transport: createChatTransport({
      openai,
      model: options.model,
      timeoutMs: options.timeoutMs,
      retry: { ...options.backoff, maxRetries: options.maxRetries },
    }),
    prices: options.prices ?? DEFAULT_LLM_PRICES,
    maxRepairs: options.maxRepairs ?? DEFAULT_MAX_REPAIRS,
    redact: createRedactor(options.redaction),
    now: options.now ?? (() => performance.now()),
    ...(options.onCall ? { onCall: options.onCall } : {}),
    ...(options.onToolCall ? { onToolCall: options.onToolCall } : {}),
  };

  return {
    model: options.model,
    completeJson: (request) => completeJson(ctx, request),
    runToolLoop: (request) => runToolLoop(ctx, request),
  };
}

/** The configured client, or undefined when no API key is set (agents then run their offline policy). */
export function createLlmClientFromConfig(
  config: Pick<Config, "OPENAI_API_KEY" | "OPENAI_BASE_URL" | "PULSE_MODEL" | "PULSE_LLM_TIMEOUT_MS">,
  extra: Omit<LlmClientOptions, "apiKey" | "baseURL" | "model" | "timeoutMs" | "maxRetries"> & { maxRetries?: number } = {},
): LlmToolClient | undefined {
  if (!config.OPENAI_API_KEY) return undefined;
  return createLlmClient({
    ...extra,
    apiKey: config.OPENAI_API_KEY,
    ...(config.OPENAI_BASE_URL === undefined ? {} : { baseURL: config.OPENAI_BASE_URL }),
    model: config.PULSE_MODEL,
    timeoutMs: config.PULSE_LLM_TIMEOUT_MS,
    maxRetries: extra.maxRetries ?? DEFAULT_MAX_RETRIES,
  });
}

async function completeJson<S extends z.ZodType>(ctx: CallContext, request: LlmJsonRequest<S>): Promise<LlmJsonResult<z.infer<S>>> {
  const startedAt = ctx.now();
  const tally = newTally();
  let repairs = 0;
  let answer = "";
  let value: z.infer<S> | undefined;
  let failure: unknown;
  try {
    assertNoContactData(request.system, "system prompt");
    assertNoContactData(request.user, "user prompt");
    const messages: ChatCompletionMessageParam[] = [
      { role: "system", content: withJsonInstruction(request.system) },
      { role: "user", content: request.user },
    ];
    for (;;) {
      const completion = await ctx.transport.send(
        { messages, ...(request.temperature === undefined ? {} : { temperature: request.temperature }) },
        { json: true, tally, ...(request.signal ? { signal: request.signal } : {}) },
      );
      const content = completion.choices[0]?.message?.content ?? null;
      answer = content ?? "";
      const parsed = parseJsonAnswer(content, request.schema);
      if (parsed.ok) {
        value = parsed.value;
        break;
      }
      if (repairs >= ctx.maxRepairs) {
        throw new LlmOutputError(
          `${request.agent}: no valid JSON answer after ${repairs + 1} answers (${request.prompt.id} v${request.prompt.version})`,
          { attempts: tally.attempts, lastProblem: ctx.redact(parsed.problem) },
        );
      }
      repairs += 1;
      messages.push({ role: "assistant", content: answer }, { role: "user", content: repairInstruction(parsed.problem) });
    }
  } catch (err) {
    failure = err;
  }
  const record: LlmCallRecord = buildCallRecord(ctx, {
    agent: request.agent,
    prompt: request.prompt,
    tally,
    repairs,
    startedAt,
    system: request.system,
    user: request.user,
    answer,
    ...(failure === undefined ? {} : { error: failure }),
  });
  await ctx.onCall?.(record);
  if (failure !== undefined) throw failure;
  return { value: value as z.infer<S>, record };
}
