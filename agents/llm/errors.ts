import { PulseError } from "../../core/errors.js";
import type { LlmFallbackKind } from "../../guardrails/audit-entries.js";

/**
 * The model answered, but never with JSON the request's schema accepts (after the bounded re-asks),
 * or a tool loop ran out of steps. Not retryable as a job: callers fall back to the offline policy.
 */
export class LlmOutputError extends PulseError {
  /** Model requests made before giving up. */
  readonly attempts: number;
  /** The last validation problem, redacted of PII. */
  readonly lastProblem: string;
  constructor(message: string, options: { attempts: number; lastProblem: string }) {
    super("LLM_OUTPUT_INVALID", message);
    this.attempts = options.attempts;
    this.lastProblem = options.lastProblem;
  }
}

/** No complete answer within the per-request timeout (after any retries). A later job may succeed. */
export class LlmTimeoutError extends PulseError {
  readonly timeoutMs: number;
  constructor(timeoutMs: number, options: { cause?: unknown } = {}) {
    super("LLM_TIMEOUT", `LLM request timed out after ${timeoutMs} ms`, { ...options, retryable: true });
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The LLM endpoint refused or failed the request. `retryable` is true for rate limits, 5xx and
 * connection failures that outlasted our own retries (a later job may succeed), false for other 4xx.
 */
export class LlmRequestError extends PulseError {
  /** HTTP status, when the server answered at all. */
  readonly status: number | undefined;
  constructor(message: string, options: { status?: number; retryable: boolean; cause?: unknown }) {
    super("LLM_REQUEST_FAILED", message, { cause: options.cause, retryable: options.retryable });
    this.status = options.status;
  }
}

/** A prompt (or a tool result bound for the model) carries contact data; it was not sent. */
export class LlmPiiError extends PulseError {
  readonly kinds: readonly string[];
  constructor(where: string, kinds: readonly string[]) {
    super("LLM_PROMPT_PII", `${where} contains ${kinds.join(" and ")}; refusing to send it to the LLM`);
    this.kinds = kinds;
  }
}

/**
 * Why an LLM call failed, for the audit of the offline fallback: down (connection refused or
 * reset, 5xx after retries), timeout, invalid_answer (never valid JSON under the schema), refused
 * (contact data in the prompt, nothing sent) or error (another request error, e.g. a 4xx).
 */
export function llmFailureKind(err: unknown): LlmFallbackKind {
  if (err instanceof LlmTimeoutError) return "timeout";
  if (err instanceof LlmOutputError) return "invalid_answer";
  if (err instanceof LlmPiiError) return "refused";
  if (err instanceof LlmRequestError) return err.status === undefined || err.status >= 500 ? "down" : "error";
  return "error";
}
