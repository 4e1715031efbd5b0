import type { Redis } from "ioredis";
import type { RateLimit } from "./types.js";

/**
 * Send rate limits counted in messages, across every worker of a queue. BullMQ's own limiter counts
 * jobs, and a send job carries a batch of messages, so each batch also takes its size in permits from
 * a counter in Redis: fixed windows of `durationMs`, one key per queue and window. A batch that would
 * take the window over `max` gives its permits back and waits for the next window; a batch larger
 * than `max` goes out in slices of at most `max` (sliceForLimit), each taking its own permits.
 */

export interface MessageRateLimiter {
  /** Resolves once `n` (at most the limit's max) messages may go out. */
  take(n: number): Promise<void>;
}

export function createMessageRateLimiter(
  redis: Redis,
  key: string,
  limit: RateLimit,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): MessageRateLimiter {
  return {
    async take(n) {
      if (n > limit.max) throw new RangeError(`${n} messages at once is over the limit of ${limit.max}: slice them first`);
      for (;;) {
        const now = Date.now();
        const window = Math.floor(now / limit.durationMs);
        const windowKey = `${key}:${window}`;
        const [[, total]] = (await redis
          .multi()
          .incrby(windowKey, n)
          .pexpire(windowKey, 2 * limit.durationMs)
          .exec()) as [[Error | null, number], unknown];
        if (total <= limit.max) return;
        await redis.decrby(windowKey, n);
        await sleep((window + 1) * limit.durationMs - now + 1);
      }
    },
  };
}

/** Cuts a batch into slices of at most `max`, in order. Pure. */
export function sliceForLimit<T>(items: readonly T[], max: number): T[][] {
  const slices: T[][] = [];
  for (let i = 0; i < items.length; i += max) slices.push(items.slice(i, i + max));
  return slices;
}
