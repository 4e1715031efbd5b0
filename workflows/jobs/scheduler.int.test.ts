import { Queue } from "bullmq";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InvalidCronError } from "./job-errors.js";
import { CYCLE_SCHEDULE_ID, getCycleSchedule, installCycleSchedule, removeCycleSchedule } from "./scheduler.js";
import { createTestRedis, type TestRedis } from "./test-redis.js";

describe("cycle scheduler (real Redis)", () => {
  let redis: TestRedis;
  beforeEach(async () => {
    redis = await createTestRedis();
  });
  afterEach(async () => {
    await redis.cleanup();
  });

  it("upserts idempotently: installing twice leaves one schedule and one next job", async () => {
    const target = { connection: redis.connection, prefix: redis.prefix };
    const a = await installCycleSchedule({ ...target, pattern: "0 9 * * 1" });
    const b = await installCycleSchedule({ ...target, pattern: "0 9 * * 1" });
    expect(a.id).toBe(CYCLE_SCHEDULE_ID);
    expect(b.next).toEqual(a.next);
    expect(a.next!.getUTCHours()).toBe(9);
    expect(a.next!.getUTCDay()).toBe(1);

    const queue = new Queue("cycle", { connection: redis.connection, prefix: redis.prefix });
    try {
      expect(await queue.getJobSchedulersCount()).toBe(1);
      const delayed = await queue.getDelayed();
      expect(delayed).toHaveLength(1);
      expect(delayed[0]!.name).toBe("cycle");
      expect(delayed[0]!.data).toEqual({ kind: "run", trigger: "schedule" });

      // Changing the pattern updates the same schedule.
      await installCycleSchedule({ ...target, pattern: "30 6 * * *", tz: "Europe/Paris" });
      expect(await queue.getJobSchedulersCount()).toBe(1);
      expect(await getCycleSchedule(target)).toMatchObject({ id: CYCLE_SCHEDULE_ID, pattern: "30 6 * * *", tz: "Europe/Paris" });

      expect(await removeCycleSchedule(target)).toBe(true);
      expect(await removeCycleSchedule(target)).toBe(false);
      expect(await queue.getJobSchedulersCount()).toBe(0);
      expect(await getCycleSchedule(target)).toBeUndefined();
    } finally {
      await queue.close();
    }
  });

  it("rejects a bad cron before touching Redis", async () => {
    await expect(
      installCycleSchedule({ connection: redis.connection, prefix: redis.prefix, pattern: "every monday" }),
    ).rejects.toBeInstanceOf(InvalidCronError);
    expect(await redis.connection.keys(`${redis.prefix}:*`)).toEqual([]);
  });
});
