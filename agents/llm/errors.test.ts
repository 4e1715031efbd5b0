import { describe, expect, it } from "vitest";
import { LlmOutputError, LlmPiiError, LlmRequestError, LlmTimeoutError, llmFailureKind } from "./errors.js";

describe("llmFailureKind", () => {
  it("names why an LLM call failed, for the audit of the offline fallback", () => {
    expect(llmFailureKind(new LlmTimeoutError(800))).toBe("timeout");
    expect(llmFailureKind(new LlmOutputError("no valid JSON", { attempts: 3, lastProblem: "empty" }))).toBe("invalid_answer");
    expect(llmFailureKind(new LlmPiiError("user prompt", ["e-mail"]))).toBe("refused");
    // No status: the server never answered (refused or reset connection); 5xx: it is failing.
    expect(llmFailureKind(new LlmRequestError("connection error", { retryable: true }))).toBe("down");
    expect(llmFailureKind(new LlmRequestError("HTTP 503", { retryable: true, status: 503 }))).toBe("down");
    expect(llmFailureKind(new LlmRequestError("HTTP 401", { retryable: false, status: 401 }))).toBe("error");
    expect(llmFailureKind(new Error("something else"))).toBe("error");
  });
});
