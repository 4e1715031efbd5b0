import { Queue } from "bullmq";
import { CronExpressionParser } from "cron-parser";
import type { Redis } from "ioredis";
import { parseJobData } from "./job-data.js";
import { InvalidCronError } from "./job-errors.js";

/** Id of the job scheduler that starts autonomous cycles; one per prefix. */
export const CYCLE_SCHEDULE_ID = "autonomous-cycle";

export interface CronCheck {
  pattern: string;
  tz?: string;
  /** Reject patterns that fire more often than this (default one minute): a cycle is not a heartbeat. */
  minIntervalMs?: number;
  now?: Date;
}

/** Parses a cron pattern (5 fields, 6 with seconds, or @daily-style) and returns its next two firings. */
export function validateCron({ pattern, tz, minIntervalMs = 60_000, now = new Date() }: CronCheck): { next: Date; after: Date } {
  const trimmed = pattern.trim();
  const fields = trimmed.split(/\s+/).filter(Boolean).length;
  if (!trimmed.startsWith("@") && (fields < 5 || fields > 6)) {
    throw new InvalidCronError(pattern, `expected 5 fields (minute hour day-of-month month day-of-week), got ${fields}`);
  }
  let next: Date;
  let after: Date;
  try {
    const expr = CronExpressionParser.parse(trimmed, { tz, currentDate: now, strict: false });
    next = expr.next().toDate();
    after = expr.next().toDate();
  } catch (err) {
    throw new InvalidCronError(pattern, err instanceof Error ? err.message : String(err));
  }
  if (after.getTime() - next.getTime() < minIntervalMs) {
    throw new InvalidCronError(
      pattern,
      `fires every ${(after.getTime() - next.getTime()) / 1000}s; the minimum is ${minIntervalMs / 1000}s`,
    );
  }
  return { next, after };
}

export interface ScheduleTarget {
  connection: Redis;
  prefix: string;
  id?: string;
}

export interface InstalledSchedule {
  id: string;
  pattern: string;
  tz?: string;
  /** When the next cycle job is due. */
  next: Date | undefined;
}

/**
 * Installs (or updates: upsert by id, so running it twice leaves one schedule) the cron that enqueues
 * `{ kind: "run", trigger: "schedule" }` on the cycle queue. Each tick gets a job id derived from the
 * schedule id and the tick time, so the cycle processor can derive a stable cycle id from ctx.jobId.
 */
export async function installCycleSchedule(target: ScheduleTarget & { pattern: string; tz?: string }): Promise<InstalledSchedule> {
  validateCron({ pattern: target.pattern, tz: target.tz });
  const id = target.id ?? CYCLE_SCHEDULE_ID;
  const data = parseJobData("cycle", { kind: "run", trigger: "schedule" });
  return withCycleQueue(target, async (queue) => {
    await queue.upsertJobScheduler(
      id,
      { pattern: target.pattern.trim(), ...(target.tz ? { tz: target.tz } : {}) },
      { name: "cycle", data, opts: { attempts: 3, backoff: { type: "exponential", delay: 5_000 } } },
    );
    const installed = await queue.getJobScheduler(id);
    return { id, pattern: target.pattern.trim(), tz: target.tz, next: installed?.next ? new Date(installed.next) : undefined };
  });
}

/** Removes the schedule; true if there was one. Jobs already enqueued by it still run. */
export async function removeCycleSchedule(target: ScheduleTarget): Promise<boolean> {
  return withCycleQueue(target, (queue) => queue.removeJobScheduler(target.id ?? CYCLE_SCHEDULE_ID));
}

/** The installed schedule, if any. */
export async function getCycleSchedule(target: ScheduleTarget): Promise<InstalledSchedule | undefined> {
  return withCycleQueue(target, async (queue) => {
    const s = await queue.getJobScheduler(target.id ?? CYCLE_SCHEDULE_ID);
    if (!s) return undefined;
    return { id: s.key, pattern: s.pattern ?? "", tz: s.tz ?? undefined, next: s.next ? new Date(s.next) : undefined };
  });
}

async function withCycleQueue<T>(target: ScheduleTarget, fn: (queue: Queue) => Promise<T>): Promise<T> {
  const queue = new Queue("cycle", { connection: target.connection, prefix: target.prefix });
  queue.on("error", () => {});
  try {
    return await fn(queue);
  } finally {
    await queue.close();
  }
}
