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
