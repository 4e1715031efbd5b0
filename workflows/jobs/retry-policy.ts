import { UnrecoverableError } from "bullmq";
import { PulseError } from "../../core/errors.js";

/**
 * Errors steer jobs: an UnrecoverableError or a PulseError with retryable=false fails the job at
 * once (another attempt would fail the same way); anything else (network, timeouts, bugs that may
 * be transient) is retried with exponential backoff until the attempts run out.
 */
export function isRetryable(err: unknown): boolean {
  if (err instanceof UnrecoverableError) return false;
  if (err instanceof PulseError) return err.retryable;
  return true;
}

/** Delay before retry number `retry` (1 = first retry): backoffMs, 2·backoffMs, 4·backoffMs, ... like BullMQ's "exponential". */
export function backoffDelay(backoffMs: number, retry: number): number {
  return Math.round(backoffMs * 2 ** Math.max(0, retry - 1));
}

/** BullMQ only knows UnrecoverableError; keep the original name and code in the message and as cause. */
export function toBullmqError(err: unknown): unknown {
  if (isRetryable(err) || err instanceof UnrecoverableError) return err;
  const e = err as PulseError;
  const unrecoverable = new UnrecoverableError(`${e.name} [${e.code}]: ${e.message}`);
  (unrecoverable as Error).cause = err;
  return unrecoverable;
}
