import { PulseError } from "../../core/errors.js";

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
