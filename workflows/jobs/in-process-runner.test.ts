import { UnrecoverableError } from "bullmq";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../core/clock.js";
import { PulseError } from "../../core/errors.js";
import { InProcessRunner } from "./in-process-runner.js";
import { JobDataError, NoProcessorError, RunnerClosedError } from "./job-errors.js";
import type { JobContext, ProcessorMap } from "./types.js";

const send = (customerId: string) => ({ cycleId: "c1", campaignId: "k1", customerId, messageId: `c1.k1.${customerId}.email` });

function makeRunner(processors: Partial<ProcessorMap>, clock = new ManualClock("2025-01-06T09:00:00Z")) {
  const sleeps: number[] = [];
  const runner = new InProcessRunner({ processors, clock, sleep: async (ms) => void sleeps.push(ms) });
  return { runner, clock, sleeps };
}

describe("InProcessRunner", () => {
  it("runs a job enqueued twice with the same jobId once, even after it completed", async () => {
    const seen: string[] = [];
    const { runner } = makeRunner({ "send-email": async (d) => void seen.push(d.customerId!) });
    const a = await runner.enqueue("send-email", send("u1"), { jobId: "c1.k1.u1.email" });
    const b = await runner.enqueue("send-email", send("u1"), { jobId: "c1.k1.u1.email" });
    expect(a).toEqual(b);
    expect(await runner.drain()).toEqual({ completed: 1, failed: [] });
    await runner.enqueue("send-email", send("u1"), { jobId: "c1.k1.u1.email" });
    expect((await runner.drain()).completed).toBe(0);
    expect(seen).toEqual(["u1"]);
  });

  it("runs jobs FIFO", async () => {
    const seen: string[] = [];
    const { runner } = makeRunner({ "send-sms": async (d) => void seen.push(d.customerId!) });
    for (const u of ["a", "b", "c", "d"]) await runner.enqueue("send-sms", send(u));
    await runner.drain();
    expect(seen).toEqual(["a", "b", "c", "d"]);
  });

  it("retries a retryable failure with exponential backoff, then succeeds", async () => {
    const attempts: JobContext[] = [];
    const { runner, sleeps } = makeRunner({
      activation: async (_d, ctx) => {
        attempts.push(ctx);
        if (ctx.attempt === 1) throw new Error("connection reset");
        if (ctx.attempt === 2) throw new PulseError("UPSTREAM_BUSY", "busy", { retryable: true });
      },
    });
    await runner.enqueue("activation", { cycleId: "c1", campaignId: "k1", shard: 1, shardCount: 2 }, { attempts: 4, backoffMs: 100 });
    expect(await runner.drain()).toEqual({ completed: 1, failed: [] });
    expect(attempts.map((c) => c.attempt)).toEqual([1, 2, 3]);
    expect(sleeps).toEqual([100, 200]);
  });

  it("gives up after the last attempt", async () => {
    const { runner, sleeps } = makeRunner({ measure: async () => Promise.reject(new Error("down")) });
    const { jobId } = await runner.enqueue(
      "measure",
      { cycleId: "c1", windowEndsAt: "2025-01-20T00:00:00Z" },
      { attempts: 3, backoffMs: 10 },
    );
    const result = await runner.drain();
    expect(result.failed).toEqual([{ queue: "measure", jobId, attempts: 3, error: new Error("down") }]);
    expect(sleeps).toEqual([10, 20]);
    expect(runner.failed()).toHaveLength(1);
  });

  it("does not retry a non-retryable PulseError or an UnrecoverableError", async () => {
    let calls = 0;
    const failedSeen: string[] = [];
    const runner = new InProcessRunner({
      processors: {
        "send-sms": async (d) => {
          calls++;
          throw d.customerId === "u1" ? new PulseError("CONSENT_MISSING", "no consent") : new UnrecoverableError("bad number");
        },
      },
      sleep: async () => {},
      onFailed: (f) => failedSeen.push(f.jobId),
    });
    await runner.enqueue("send-sms", send("u1"), { jobId: "j1", attempts: 5 });
    await runner.enqueue("send-sms", send("u2"), { jobId: "j2", attempts: 5 });
    const result = await runner.drain();
    expect(calls).toBe(2);
    expect(result.failed.map((f) => [f.jobId, f.attempts])).toEqual([
      ["j1", 1],
      ["j2", 1],
    ]);
    expect(failedSeen).toEqual(["j1", "j2"]);
  });

  it("holds a delayed job until the clock reaches its due time", async () => {
    const ran: string[] = [];
    const { runner, clock } = makeRunner({ measure: async (d) => void ran.push(d.cycleId) });
    const { jobId } = await runner.enqueue(
      "measure",
      { cycleId: "c1", windowEndsAt: "2025-01-20T09:00:00Z" },
      { delayMs: 14 * 86_400_000, jobId: "measure.c1" },
    );
    expect(await runner.drain()).toEqual({ completed: 0, failed: [] });
    expect(runner.pending()).toEqual([{ queue: "measure", jobId, dueAt: new Date("2025-01-20T09:00:00Z") }]);
    clock.advanceDays(13);
    await runner.drain();
    expect(ran).toEqual([]);
    clock.advanceDays(1);
    expect((await runner.drain()).completed).toBe(1);
    expect(ran).toEqual(["c1"]);
    expect(runner.pending()).toEqual([]);
  });

  it("lists pending jobs earliest first", async () => {
    const { runner } = makeRunner({ measure: async () => {} });
    await runner.enqueue("measure", { cycleId: "late", windowEndsAt: "2025-01-20T09:00:00Z" }, { delayMs: 2_000, jobId: "late" });
    await runner.enqueue("measure", { cycleId: "early", windowEndsAt: "2025-01-20T09:00:00Z" }, { delayMs: 1_000, jobId: "early" });
    expect(runner.pending().map((p) => p.jobId)).toEqual(["early", "late"]);
  });

  it("drain runs jobs enqueued by processors while draining; runDue leaves them for later", async () => {
    const order: string[] = [];
    const processors: Partial<ProcessorMap> = {
      cycle: async (d) => {
        order.push("cycle");
        await runner.enqueue("activation", { cycleId: d.cycleId!, campaignId: "k1", shard: 0, shardCount: 1 }, { jobId: "act.c1" });
      },
      activation: async () => {
        order.push("activation");
        for (const u of ["u1", "u2"]) await runner.enqueue("send-email", send(u), { jobId: `c1.k1.${u}.email` });
      },
      "send-email": async (d) => void order.push(d.customerId!),
    };
    const { runner } = makeRunner(processors);
    await runner.enqueue("cycle", { kind: "run", cycleId: "c1" });
    expect((await runner.runDue()).completed).toBe(1);
    expect(order).toEqual(["cycle"]);
    expect(runner.readyCount()).toBe(1);
    expect((await runner.drain()).completed).toBe(3);
    expect(order).toEqual(["cycle", "activation", "u1", "u2"]);
  });

  it("runs with concurrency when asked", async () => {
    let active = 0;
    let peak = 0;
    const runner = new InProcessRunner({
      concurrency: 4,
      processors: {
        "send-push": async () => {
          peak = Math.max(peak, ++active);
          await new Promise((r) => setTimeout(r, 5));
          active--;
        },
      },
    });
    for (let i = 0; i < 10; i++) await runner.enqueue("send-push", send(`u${i}`));
    expect((await runner.drain()).completed).toBe(10);
    expect(peak).toBe(4);
  });

  it("keeps a queue within its own limit, the others within the runner's, in FIFO order", async () => {
    const active = new Map<string, number>();
    const peak = new Map<string, number>();
    const started: string[] = [];
    const track = (queue: string, id: string) => async () => {
      started.push(id);
      active.set(queue, (active.get(queue) ?? 0) + 1);
      peak.set(queue, Math.max(peak.get(queue) ?? 0, active.get(queue)!));
      await new Promise((r) => setTimeout(r, 5));
      active.set(queue, active.get(queue)! - 1);
    };
    const runner = new InProcessRunner({
      concurrency: 8,
      queueConcurrency: { activation: 2 },
      processors: {
        activation: async (d) => track("activation", `a${d.shard}`)(),
        "send-push": async (d) => track("send-push", d.customerId!)(),
      },
    });
    for (let shard = 0; shard < 5; shard++) await runner.enqueue("activation", { cycleId: "c1", campaignId: "k1", shard, shardCount: 5 });
    for (let i = 0; i < 20; i++) await runner.enqueue("send-push", send(`u${i}`));
    expect((await runner.drain()).completed).toBe(25);
    expect(peak.get("activation")).toBe(2);
    expect(peak.get("send-push")).toBeGreaterThan(2);
    expect(peak.get("send-push")).toBeLessThanOrEqual(8);
    // Jobs start in the order they were enqueued.
    expect(started).toEqual([...[0, 1, 2, 3, 4].map((s) => `a${s}`), ...Array.from({ length: 20 }, (_, i) => `u${i}`)]);
  });

  it("fails fast on bad data, unknown queues and after close", async () => {
    const { runner } = makeRunner({ "send-email": async () => {} });
    await expect(runner.enqueue("send-email", { ...send("u1"), customerId: "ann@example.com" })).rejects.toBeInstanceOf(JobDataError);
    await expect(runner.enqueue("send-email", { ...send("u1"), phone: "+15551234" } as never)).rejects.toBeInstanceOf(JobDataError);
    await expect(runner.enqueue("send-email", send("u1"), { jobId: "a:b" })).rejects.toBeInstanceOf(JobDataError);
    await expect(runner.enqueue("send-sms", send("u1"))).rejects.toBeInstanceOf(NoProcessorError);
    await runner.close();
    await expect(runner.enqueue("send-email", send("u1"))).rejects.toBeInstanceOf(RunnerClosedError);
  });

  it("close waits for the active job", async () => {
    let finished = false;
    let entered!: () => void;
    const active = new Promise<void>((r) => (entered = r));
    const runner = new InProcessRunner({
      processors: {
        cycle: async () => {
          entered();
          await new Promise((r) => setTimeout(r, 50));
          finished = true;
        },
      },
    });
    await runner.enqueue("cycle", { kind: "run" });
    await runner.enqueue("cycle", { kind: "run" });
    const draining = runner.drain();
    await active;
    await runner.close();
    expect(finished).toBe(true);
    expect((await draining).completed).toBe(1);
  });
});
