import { Queue } from "bullmq";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PulseError } from "../../core/errors.js";
import { BullmqRunner } from "./bullmq-runner.js";
import { startWorkers, type WorkerPool } from "./bullmq-workers.js";
import { JobDataError, QueueUnavailableError } from "./job-errors.js";
import { createTestRedis, type TestRedis } from "./test-redis.js";
import type { JobContext, ProcessorMap, QueueName } from "./types.js";

const send = (customerId: string) => ({ cycleId: "c1", campaignId: "k1", customerId, messageId: `c1:k1:${customerId}:email` });
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > timeoutMs) throw new Error("timed out waiting");
    await sleep(20);
  }
}

describe("BullMQ runner and workers (real Redis)", () => {
  let redis: TestRedis;
  let runner: BullmqRunner;
  let pool: WorkerPool | undefined;

  beforeEach(async () => {
    redis = await createTestRedis();
    runner = new BullmqRunner({ connection: redis.connection, prefix: redis.prefix });
  });

  afterEach(async () => {
    await pool?.close();
    pool = undefined;
    await runner.close();
    await redis.cleanup();
  });

  const start = async (processors: Partial<ProcessorMap>, extra: Partial<Parameters<typeof startWorkers>[0]> = {}) => {
    pool = startWorkers({ connection: redis.connection, prefix: redis.prefix, processors, ...extra });
    await pool.ready();
    return pool;
  };

  it("runs a job enqueued twice with the same jobId once", async () => {
    const a = await runner.enqueue("send-email", send("u1"), { jobId: "c1.k1.u1.email" });
    const b = await runner.enqueue("send-email", send("u1"), { jobId: "c1.k1.u1.email" });
    expect(a.jobId).toBe(b.jobId);
    const counts = await runner.queue("send-email").getJobCounts();
    expect(counts.waiting).toBe(1);

    const seen: string[] = [];
    await start({ "send-email": async (_d, ctx) => void seen.push(ctx.jobId) });
    await waitFor(() => seen.length >= 1);
    // Enqueued again after it completed: still the same job, not a second send.
    await runner.enqueue("send-email", send("u1"), { jobId: "c1.k1.u1.email" });
    await sleep(300);
    expect(seen).toEqual(["c1.k1.u1.email"]);
  });

  it("retries a retryable failure with backoff, then succeeds", async () => {
    const attempts: JobContext[] = [];
    const p = await start({
      activation: async (_d, ctx) => {
        attempts.push(ctx);
        if (ctx.attempt === 1) throw new Error("connection reset");
        if (ctx.attempt === 2) throw new PulseError("UPSTREAM_BUSY", "busy", { retryable: true });
        return "ok";
      },
    });
    const failures: number[] = [];
    p.workers.get("activation")!.on("failed", (job) => failures.push(job!.attemptsMade));
    const { jobId } = await runner.enqueue(
      "activation",
      { cycleId: "c1", campaignId: "k1", shard: 0, shardCount: 4 },
      { attempts: 3, backoffMs: 50 },
    );
    await waitFor(async () => (await runner.queue("activation").getJobState(jobId)) === "completed");
    expect(attempts.map((c) => c.attempt)).toEqual([1, 2, 3]);
    expect(attempts.every((c) => c.attempts === 3 && c.queue === "activation" && c.jobId === jobId)).toBe(true);
    expect(failures).toEqual([1, 2]);
    const job = await runner.queue("activation").getJob(jobId);
    expect(job!.returnvalue).toBe("ok");
  });

  it("fails a non-retryable PulseError at once, without retry", async () => {
    let calls = 0;
    const p = await start({
      "send-sms": async () => {
        calls++;
        throw new PulseError("CONSENT_MISSING", "no sms consent");
      },
    });
    const failed: { attemptsMade: number; name: string; message: string }[] = [];
    p.workers
      .get("send-sms")!
      .on("failed", (job, err) => failed.push({ attemptsMade: job!.attemptsMade, name: err.name, message: err.message }));
    const { jobId } = await runner.enqueue("send-sms", send("u2"), { attempts: 5, backoffMs: 20 });
    await waitFor(async () => (await runner.queue("send-sms").getJobState(jobId)) === "failed");
    await sleep(300);
    expect(calls).toBe(1);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.name).toBe("UnrecoverableError");
    expect(failed[0]!.message).toContain("CONSENT_MISSING");
  });

  it("fails a job whose stored data does not match its schema, without retry", async () => {
    let calls = 0;
    await start({ measure: async () => void calls++ });
    // Written directly, as an older producer might have: an email address has no place in job data.
    const raw = new Queue("measure", { connection: redis.connection, prefix: redis.prefix });
    const job = await raw.add(
      "measure",
      { cycleId: "c1", email: "ann@example.com" },
      { attempts: 3, backoff: { type: "fixed", delay: 10 } },
    );
    await waitFor(async () => (await raw.getJobState(job.id!)) === "failed");
    const failed = await raw.getJob(job.id!);
    expect(calls).toBe(0);
    expect(failed!.attemptsMade).toBe(1);
    expect(failed!.failedReason).toContain("JobDataError");
    await raw.close();
  });

  it("refuses invalid data and integer job ids at enqueue (producers fail fast)", async () => {
    await expect(runner.enqueue("send-email", { ...send("u1"), customerId: "ann@example.com" })).rejects.toBeInstanceOf(JobDataError);
    await expect(runner.enqueue("cycle", { kind: "resume" })).rejects.toThrow(/resume needs a cycleId/);
    await expect(runner.enqueue("send-email", send("u1"), { jobId: "42" })).rejects.toBeInstanceOf(JobDataError);
  });

  it("runs a delayed job after its delay", async () => {
    const ran: number[] = [];
    await start({ measure: async () => void ran.push(Date.now()) });
    const t0 = Date.now();
    const { jobId } = await runner.enqueue("measure", { cycleId: "c1", windowEndsAt: new Date(t0 + 300).toISOString() }, { delayMs: 300 });
    expect(await runner.queue("measure").getJobState(jobId)).toBe("delayed");
    await sleep(100);
    expect(ran).toHaveLength(0);
    await waitFor(() => ran.length === 1);
    expect(ran[0]! - t0).toBeGreaterThanOrEqual(280);
  });

  it("rate-limits a send queue: 10 jobs at 5 per second take at least a second", async () => {
    const starts: number[] = [];
    const order: string[] = [];
    await start(
      {
        "send-push": async (d) => {
          starts.push(Date.now());
          order.push(d.customerId!);
        },
      },
      { concurrency: 10, limits: { push: { max: 5, durationMs: 1_000 } } },
    );
    const t0 = Date.now();
    for (let i = 0; i < 10; i++) await runner.enqueue("send-push", send(`u${i}`), { jobId: `c1.k1.u${i}.push` });
    await waitFor(() => starts.length === 10);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    // Jobs fetched together run concurrently, so their start order within a window may vary; the
    // limiter still lets the first five through first and holds the next five for the next window.
    expect(new Set(order.slice(0, 5))).toEqual(new Set(["u0", "u1", "u2", "u3", "u4"]));
    expect(new Set(order.slice(5))).toEqual(new Set(["u5", "u6", "u7", "u8", "u9"]));
    // No window of (nearly) one second holds more than 5 starts.
    for (const s of starts) expect(starts.filter((t) => t >= s && t < s + 900).length).toBeLessThanOrEqual(5);
  });

  it("rate-limits send jobs in messages: two batch jobs of 6 at 5 messages per second go out in slices of at most 5, at most 5 in any window", async () => {
    const slices: { at: number; ids: string[] }[] = [];
    await start(
      {
        "send-sms": async (d) => {
          slices.push({ at: Date.now(), ids: [...d.messageIds!] });
          return `${d.messageIds!.length} delivered`;
        },
      },
      { concurrency: 10, limits: { sms: { max: 5, durationMs: 1_000 } } },
    );
    const t0 = Date.now();
    const batch = (job: string) => Array.from({ length: 6 }, (_, i) => `m-${job}-${i}`);
    for (const job of ["a", "b"])
      await runner.enqueue("send-sms", { cycleId: "c1", campaignId: "k1", messageIds: batch(job) }, { jobId: `c1.k1.${job}.sms` });
    await waitFor(() => slices.reduce((n, s) => n + s.ids.length, 0) === 12, 15_000);
    expect(slices.every((s) => s.ids.length <= 5)).toBe(true);
    expect(slices.flatMap((s) => s.ids).sort()).toEqual([...batch("a"), ...batch("b")].sort());
    // 12 messages at 5 per window need three windows, so at least one full window passes.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_000);
    const windows = new Map<number, number>();
    for (const s of slices) windows.set(Math.floor(s.at / 1_000), (windows.get(Math.floor(s.at / 1_000)) ?? 0) + s.ids.length);
    expect([...windows.values()].every((n) => n <= 5)).toBe(true);
    for (const job of ["a", "b"])
      await waitFor(async () => (await runner.queue("send-sms").getJobState(`c1.k1.${job}.sms`)) === "completed");
  });

  it("closes gracefully: waits for the active job to finish", async () => {
    let entered!: () => void;
    const active = new Promise<void>((r) => (entered = r));
    let finished = false;
    const p = await start({
      cycle: async () => {
        entered();
        await sleep(500);
        finished = true;
      },
    });
    const { jobId } = await runner.enqueue("cycle", { kind: "run" });
    await active;
    await p.close();
    expect(finished).toBe(true);
    expect(await runner.queue("cycle").getJobState(jobId)).toBe("completed");
  });

  it("refuses to start a worker for a queue without a processor", async () => {
    expect(() =>
      startWorkers({ connection: redis.connection, prefix: redis.prefix, processors: {}, queues: ["cycle" as QueueName] }),
    ).toThrow(/no processor for queue "cycle"/);
  });

  it("fails fast with a retryable error when Redis is unreachable", async () => {
    const dead = BullmqRunner.connect("redis://127.0.0.1:1", { prefix: redis.prefix, enqueueTimeoutMs: 300 });
    const t0 = Date.now();
    const err = await dead.enqueue("cycle", { kind: "run" }, { jobId: "cycle.x" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueueUnavailableError);
    expect((err as QueueUnavailableError).retryable).toBe(true);
    expect(Date.now() - t0).toBeLessThan(5_000);
    await dead.close();
  });
});
