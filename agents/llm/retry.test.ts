import { APIConnectionError, APIError } from "openai";
import { describe, expect, it } from "vitest";
import { LlmRequestError, LlmTimeoutError } from "./errors.js";
import { backoffDelay, classifyLlmError, parseRetryAfter, withRetry } from "./retry.js";

const apiError = (status: number, headers: Record<string, string> = {}) =>
  APIError.generate(status, { message: `status ${status}` }, undefined, new Headers(headers));

describe("parseRetryAfter", () => {
  it("reads retry-after-ms, seconds and HTTP dates", () => {
    expect(parseRetryAfter(new Headers({ "retry-after-ms": "250" }))).toBe(250);
    expect(parseRetryAfter(new Headers({ "retry-after": "2" }))).toBe(2_000);
    expect(parseRetryAfter(new Headers({ "retry-after": "0.5" }))).toBe(500);
    const now = Date.parse("2025-03-01T10:00:00Z");
    expect(parseRetryAfter(new Headers({ "retry-after": "Sat, 01 Mar 2025 10:00:05 GMT" }), now)).toBe(5_000);
    expect(parseRetryAfter(new Headers({ "retry-after": "soon" }))).toBeUndefined();
    expect(parseRetryAfter(new Headers())).toBeUndefined();
  });
});

describe("classifyLlmError", () => {
  it("retries 429, 408, 5xx, timeouts and connection errors, not other 4xx", () => {
    expect(classifyLlmError(apiError(429, { "retry-after": "3" }))).toEqual({ retryable: true, reason: "HTTP 429", retryAfterMs: 3_000 });
    expect(classifyLlmError(apiError(500)).retryable).toBe(true);
    expect(classifyLlmError(apiError(503)).retryable).toBe(true);
    expect(classifyLlmError(apiError(408)).retryable).toBe(true);
    expect(classifyLlmError(new LlmTimeoutError(100)).retryable).toBe(true);
    expect(classifyLlmError(new APIConnectionError({ message: "ECONNREFUSED" })).retryable).toBe(true);
    for (const status of [400, 401, 403, 404, 422]) expect(classifyLlmError(apiError(status)).retryable).toBe(false);
    expect(classifyLlmError(new TypeError("bug")).retryable).toBe(false);
  });
});

describe("backoffDelay", () => {
  it("doubles up to the cap with equal jitter", () => {
    const policy = { maxRetries: 9, baseDelayMs: 100, maxDelayMs: 1_000 };
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, { ...policy, random: () => 0 }))).toEqual([50, 100, 200, 400, 500]);
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, { ...policy, random: () => 0.999999 }))).toEqual([100, 200, 400, 800, 1_000]);
  });
});

describe("withRetry", () => {
  it("gives up without waiting when Retry-After exceeds the cap", async () => {
    const sleeps: number[] = [];
    let calls = 0;
    const err = await withRetry(
      async () => {
        calls++;
        throw apiError(429, { "retry-after": "120" });
      },
      { maxRetries: 3, maxRetryAfterMs: 60_000, sleep: async (ms) => void sleeps.push(ms) },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmRequestError);
    expect((err as LlmRequestError).retryable).toBe(true);
    expect((err as LlmRequestError).status).toBe(429);
    expect(calls).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it("reports each retry and returns the first success", async () => {
    const events: string[] = [];
    let calls = 0;
    const value = await withRetry(
      async (n) => {
        calls++;
        if (n < 3) throw n === 1 ? apiError(502) : new LlmTimeoutError(10);
        return "ok";
      },
      { maxRetries: 5, baseDelayMs: 10, random: () => 0, sleep: async () => {} },
      { onRetry: (e) => events.push(`${e.retry}:${e.reason}:${e.delayMs}`) },
    );
    expect(value).toBe("ok");
    expect(calls).toBe(3);
    expect(events).toEqual(["1:HTTP 502:5", "2:timeout:10"]);
  });

  it("stops waiting when the caller aborts during a backoff", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const started = performance.now();
    const err = await withRetry(
      async () => Promise.reject(apiError(503)),
      { maxRetries: 3, baseDelayMs: 10_000 },
      { signal: controller.signal },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmRequestError);
    expect((err as LlmRequestError).retryable).toBe(false);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("keeps a timeout a timeout after retries run out", async () => {
    await expect(
      withRetry(async () => Promise.reject(new LlmTimeoutError(10)), { maxRetries: 1, sleep: async () => {} }),
    ).rejects.toBeInstanceOf(LlmTimeoutError);
  });
});
