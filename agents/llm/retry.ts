import { APIConnectionError, APIError, APIUserAbortError } from "openai";
import { LlmRequestError, LlmTimeoutError } from "./errors.js";

/**
 * Our own retry loop around single LLM requests (the `openai` client runs with maxRetries 0), so
 * every retry is counted, its delay is testable and Retry-After is honoured explicitly.
 */

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface RetryPolicy {
  /** Retries after the first attempt; 0 disables retrying. */
  maxRetries: number;
  /** First backoff delay; doubles on each retry. */
  baseDelayMs?: number;
  /** Upper bound of the exponential backoff. */
  maxDelayMs?: number;
  /** A Retry-After longer than this is not waited out: the error is thrown (retryable) instead. */
  maxRetryAfterMs?: number;
  sleep?: Sleep;
  /** Uniform [0, 1), for jitter. */
  random?: () => number;
}

export interface RetryEvent {
  /** 1 for the first retry. */
  retry: number;
  delayMs: number;
  reason: string;
  /** True when the delay came from the server's Retry-After. */
  fromRetryAfter: boolean;
}

export interface Transient {
  retryable: boolean;
  /** The server's Retry-After, in milliseconds, when it sent one. */
  retryAfterMs?: number;
  reason: string;
}

export const DEFAULT_RETRY = { baseDelayMs: 500, maxDelayMs: 8_000, maxRetryAfterMs: 60_000 } as const;

export const abortableSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });

/** Retry-After as milliseconds: `retry-after-ms`, or `retry-after` in seconds or as an HTTP date. */
export function parseRetryAfter(headers: Headers | undefined, nowMs = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get("retry-after-ms");
  if (ms !== null && ms.trim() !== "" && Number.isFinite(Number(ms)) && Number(ms) >= 0) return Number(ms);
  const value = headers.get("retry-after");
  if (value === null || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? Math.round(seconds * 1000) : undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** Rate limits, server errors, timeouts and connection failures are transient; other 4xx are not. */
export function classifyLlmError(err: unknown): Transient {
  if (err instanceof LlmTimeoutError) return { retryable: true, reason: "timeout" };
  if (err instanceof APIUserAbortError) return { retryable: false, reason: "aborted" };
  if (err instanceof APIConnectionError) return { retryable: true, reason: "connection error" };
  if (err instanceof APIError && typeof err.status === "number") {
    const status = err.status;
    const retryable = status === 429 || status === 408 || status >= 500;
    const retryAfterMs = retryable ? parseRetryAfter(err.headers) : undefined;
    return { retryable, reason: `HTTP ${status}`, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  }
  return { retryable: false, reason: err instanceof Error ? err.name : "unknown error" };
}

/** Exponential backoff with equal jitter: half the step is fixed, half random. */
export function backoffDelay(retry: number, policy: RetryPolicy): number {
  const base = policy.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs;
  const max = policy.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs;
  const step = Math.min(max, base * 2 ** (retry - 1));
  return Math.round(step / 2 + (policy.random ?? Math.random)() * (step / 2));
}

/** Turns whatever the openai client threw into a Pulse error (LlmTimeoutError passes through). */
export function toLlmError(err: unknown): Error {
  if (err instanceof LlmTimeoutError || err instanceof LlmRequestError) return err;
  const { retryable, reason } = classifyLlmError(err);
  const status = err instanceof APIError && typeof err.status === "number" ? err.status : undefined;
  const detail = err instanceof Error ? err.message : String(err);
  return new LlmRequestError(`LLM request failed (${reason}): ${detail}`, {
    retryable,
    cause: err,
    ...(status === undefined ? {} : { status }),
  });
}

/**
 * Runs `attempt` until it succeeds, a non-transient error occurs or retries run out; then throws
 * the last error converted by `toLlmError`. `onRetry` sees every retry before its delay.
 */
export async function withRetry<T>(
  attempt: (n: number) => Promise<T>,
  policy: RetryPolicy,
  hooks: { onRetry?: (event: RetryEvent) => void; signal?: AbortSignal } = {},
): Promise<T> {
  const sleep = policy.sleep ?? abortableSleep;
  const maxRetryAfterMs = policy.maxRetryAfterMs ?? DEFAULT_RETRY.maxRetryAfterMs;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      const t = classifyLlmError(err);
      const retry = n;
      if (!t.retryable || retry > policy.maxRetries || hooks.signal?.aborted) throw toLlmError(err);
      if (t.retryAfterMs !== undefined && t.retryAfterMs > maxRetryAfterMs) throw toLlmError(err);
      const delayMs = t.retryAfterMs ?? backoffDelay(retry, policy);
      hooks.onRetry?.({ retry, delayMs, reason: t.reason, fromRetryAfter: t.retryAfterMs !== undefined });
      try {
        await sleep(delayMs, hooks.signal);
      } catch (abort) {
        throw new LlmRequestError("LLM request aborted while waiting to retry", { retryable: false, cause: abort });
      }
    }
  }
}
