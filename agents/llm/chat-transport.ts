import OpenAI, { APIConnectionTimeoutError, APIError } from "openai";
import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming } from "openai/resources/chat/completions";
import { LlmTimeoutError } from "./errors.js";
import { type RetryPolicy, withRetry } from "./retry.js";

/** Counts what one logical call cost: every HTTP attempt, retry and token. */
export interface CallTally {
  attempts: number;
  retries: number;
  promptTokens: number;
  completionTokens: number;
}

export const newTally = (): CallTally => ({ attempts: 0, retries: 0, promptTokens: 0, completionTokens: 0 });

export type ChatBody = Omit<ChatCompletionCreateParamsNonStreaming, "model" | "response_format" | "stream">;

export interface ChatTransport {
  readonly model: string;
  /** One chat completion, with per-attempt timeout, retries and JSON-mode fallback. */
  send(body: ChatBody, options: { json: boolean; tally: CallTally; signal?: AbortSignal }): Promise<ChatCompletion>;
}

function rejectsJsonMode(err: unknown): boolean {
  return (
    err instanceof APIError && (err.status === 400 || err.status === 422) && /response_format|json_object|json mode/i.test(err.message)
  );
}

export function createChatTransport(options: { openai: OpenAI; model: string; timeoutMs: number; retry: RetryPolicy }): ChatTransport {
  const { openai, model, timeoutMs, retry } = options;
  // Servers that reject response_format (some OpenAI-compatible ones do) are asked without it from then on.
  let jsonModeSupported = true;

  async function attempt(params: ChatCompletionCreateParamsNonStreaming, tally: CallTally, signal?: AbortSignal) {
    tally.attempts += 1;
    // Our own timer covers the whole exchange, body included; the client's `timeout` only covers
    // the wait for response headers.
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = () => controller.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const completion = await openai.chat.completions.create(params, {
        signal: controller.signal,
        timeout: timeoutMs,
        maxRetries: 0,
      });
      tally.promptTokens += completion.usage?.prompt_tokens ?? 0;
      tally.completionTokens += completion.usage?.completion_tokens ?? 0;
      return completion;
    } catch (err) {
      if (timedOut || err instanceof APIConnectionTimeoutError) throw new LlmTimeoutError(timeoutMs, { cause: err });
      throw err;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  return {
    model,
    async send(body, { json, tally, signal }) {
      return withRetry(
        async () => {
          const useJson = json && jsonModeSupported;
          const params: ChatCompletionCreateParamsNonStreaming = {
            ...body,
            model,
            ...(useJson ? { response_format: { type: "json_object" } } : {}),
          };
          try {
            return await attempt(params, tally, signal);
          } catch (err) {
            if (!useJson || !rejectsJsonMode(err)) throw err;
            jsonModeSupported = false;
            const { response_format: _dropped, ...plain } = params;
            return await attempt(plain, tally, signal);
          }
        },
        retry,
        {
          onRetry: () => {
            tally.retries += 1;
          },
          ...(signal ? { signal } : {}),
        },
      );
    },
  };
}
