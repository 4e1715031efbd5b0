/**
 * Retry timing for connectors: exponential backoff with "equal jitter" (half fixed, half random, so
 * clients that failed together spread out but none retries immediately), and Retry-After parsing.
 */

export interface BackoffOptions {
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Delay before retry number `attempt` (1 = the wait after the first failure). `random` returns [0, 1). */
export function backoffDelayMs(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const exp = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(exp / 2 + (exp / 2) * r);
}

/**
 * A Retry-After header value in milliseconds from `now`: delta-seconds or an HTTP date.
 * Undefined when absent or unparsable; a date in the past gives 0.
 */
export function parseRetryAfterMs(value: string | null | undefined, now: Date): number | undefined {
  if (value == null) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // Only accept something that looks like an HTTP date, not any string Date.parse tolerates.
  if (!/^[A-Za-z]{3},? /.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}

/** Whether an HTTP answer is worth another attempt: 408, 429 and 5xx are; other 4xx (and redirects) are not. */
export function isRetryableHttpStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

export interface RetryWaitOptions extends BackoffOptions {
  /** The longest Retry-After a caller sleeps through; beyond it the job queue should wait instead. */
  maxRetryAfterMs: number;
}

/**
 * How long to wait before the next attempt after failed attempt number `attempt`: the receiver's
 * Retry-After when it sent one (up to `maxRetryAfterMs`, else "hand_back" so a queue waits, not a
 * worker), otherwise exponential backoff with jitter.
 */
export function retryWait(
  attempt: number,
  retryAfterMs: number | undefined,
  options: RetryWaitOptions,
  random: () => number = Math.random,
): { kind: "wait"; ms: number } | { kind: "hand_back"; ms: number } {
  if (retryAfterMs !== undefined)
    return retryAfterMs > options.maxRetryAfterMs ? { kind: "hand_back", ms: retryAfterMs } : { kind: "wait", ms: retryAfterMs };
  return { kind: "wait", ms: backoffDelayMs(attempt, options, random) };
}
