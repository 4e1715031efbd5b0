import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileOutboxConnector } from "../../connectors/file-outbox.js";
import { ManualClock } from "../../core/clock.js";
import { verifyAuditLog } from "../../guardrails/audit-verify.js";
import type { Strategy } from "../../sim/index.js";
import { createTestDb, type TestDb } from "../../store/test-db.js";
import { DEMO_SETTINGS, setDemoPolicy } from "../demo.js";
import { BullmqRunner } from "../jobs/bullmq-runner.js";
import { startWorkers, type WorkerPool } from "../jobs/bullmq-workers.js";
import { createTestRedis, type TestRedis } from "../jobs/test-redis.js";
import { SEND_QUEUES, type QueueName } from "../jobs/types.js";
import { jobIds } from "./ids.js";
import {
  armsOf,
  auditEntries,
  jobCounts,
  messagesOf,
  pendingJobs,
  readOutbox,
  sentCount,
  testConfig,
  waitUntil,
} from "./testing/cycle-test-kit.js";
import { loadSimulatedWorld, type SimulatedWorld } from "./testing/simulated-world.js";
import { createCycleRuntime } from "../runtime.js";

const DAY = 86_400_000;
const WORK_QUEUES: QueueName[] = ["activation", ...SEND_QUEUES, "measure"];
// Generous: the test is about exactly-once delivery, not the production rate limits.
const FAST_LIMITS = {
  email: { max: 5_000, durationMs: 1_000 },
  sms: { max: 5_000, durationMs: 1_000 },
  push: { max: 5_000, durationMs: 1_000 },
  in_app: { max: 5_000, durationMs: 1_000 },
};

describe("a marketing cycle through BullMQ workers (real PostgreSQL and Redis)", () => {
  let testDb: TestDb;
  let redis: TestRedis;
  let sim: SimulatedWorld;
  let runner: BullmqRunner;
  let pool: WorkerPool | undefined;
  let outDir: string;
  let connector: FileOutboxConnector;

  beforeAll(async () => {
    testDb = await createTestDb("postgres");
    redis = await createTestRedis();
    runner = new BullmqRunner({ connection: redis.connection, prefix: redis.prefix });
    outDir = await mkdtemp(path.join(tmpdir(), "pulse-cycle-outbox-"));
    connector = new FileOutboxConnector({ path: path.join(outDir, "outbox.jsonl") });
    sim = await loadSimulatedWorld(testDb.db, { customers: 600, seed: 21, months: 6 });
  }, 120_000);

  afterAll(async () => {
    await pool?.close({ forceAfterMs: 5_000 });
    await runner?.close();
    await connector?.close();
    await redis?.cleanup();
    await sim?.cleanup();
    await testDb?.drop();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  }, 60_000);

  /** Waits until the queues have nothing left to do (delayed jobs aside); fails at once if a job failed for good. */
  async function drained(queues: readonly QueueName[]): Promise<void> {
    await waitUntil(
      async () => {
        const counts = await jobCounts(runner, queues);
        const failed = [...counts].filter(([, c]) => c.failed > 0).map(([q]) => q);
        if (failed.length > 0) {
          const reasons = await Promise.all(
            failed.map(async (q) => (await runner.queue(q).getFailed(0, 3)).map((j) => `${q} ${j.id}: ${j.failedReason}`)),
          );
          throw new Error(`jobs failed: ${reasons.flat().join("; ")}`);
        }
        return pendingJobs(counts, { delayed: false });
      },
      (left) => left === 0,
      { timeoutMs: 60_000, what: `queues ${queues.join(", ")} to drain`, intervalMs: 200 },
    );
  }

  it("activates, sends exactly one message per treated customer, then measures lift per segment", async () => {
    const db = testDb.db;
    const clock = new ManualClock(sim.asOf);
    const { service, processors } = await createCycleRuntime(testConfig(), { db, runner, clock, connector });

    // The graph runs to activation; its jobs wait in Redis, as they would for a separate worker.
    // A larger global control group than the default 2%, so a small world surely has some in it.
    await setDemoPolicy(db);
    const started = await service.start({ requestedBy: "ann", asOf: sim.asOf, settings: { ...DEMO_SETTINGS, globalControlShare: 0.05 } });
    expect(started.state.status).toBe("activated");
    expect(started.waiting?.kind).toBe("attribution_window");
    const { cycleId } = started;
    const activation = started.state.activation!;
    expect(activation.treated).toBeGreaterThan(50);
    expect(activation.holdout).toBeGreaterThan(0);
    expect(activation.globalControl).toBeGreaterThan(0);
    expect(await runner.queue("activation").getJobCounts("waiting")).toMatchObject({ waiting: activation.shards });
    expect(await runner.queue("measure").getJobState(jobIds.measure(cycleId))).toBe("delayed");

    // Sends go out at each customer's local send hour within two days: move past it, then start the workers.
    clock.set(sim.asOf.getTime() + 2 * DAY + 3_600_000);
    pool = startWorkers({
      connection: redis.connection,
      prefix: redis.prefix,
      processors,
      queues: WORK_QUEUES,
      limits: FAST_LIMITS,
    });
    await pool.ready();
    await waitUntil(
      () => sentCount(db, cycleId),
      (n) => n >= activation.treated,
      { timeoutMs: 90_000, what: `${activation.treated} messages sent`, intervalMs: 200 },
    );
    await drained(["activation", ...SEND_QUEUES]);

    // Exactly one message per treated customer; none for the holdout or the global control group.
    const arms = await armsOf(db, activation.experimentId);
    const treated = new Set([...arms].filter(([, arm]) => arm === "treatment").map(([id]) => id));
    const notContacted = new Set([...arms].filter(([, arm]) => arm !== "treatment").map(([id]) => id));
    expect(treated.size).toBe(activation.treated);
    expect(notContacted.size).toBe(activation.holdout + activation.globalControl);

    const messages = await messagesOf(db, cycleId);
    expect(messages).toHaveLength(treated.size);
    expect(messages.every((m) => m.status === "sent")).toBe(true);
    expect(new Set(messages.map((m) => m.customer_id))).toEqual(treated);
    expect(new Set(messages.map((m) => `${m.campaign_id}|${m.customer_id}|${m.channel}`)).size).toBe(messages.length);

    const outbox = await readOutbox(connector.path);
    expect(outbox.unreadable).toBe(0);
    expect(outbox.messages).toHaveLength(treated.size);
    expect(new Set(outbox.messages.map((m) => m.dedupeKey)).size).toBe(treated.size);
    expect(new Set(outbox.messages.map((m) => m.customerId))).toEqual(treated);
    expect(outbox.messages.filter((m) => notContacted.has(m.customerId))).toEqual([]);
    expect(outbox.messages.every((m) => m.cycleId === cycleId)).toBe(true);

    const sends = await auditEntries(db, cycleId, ["send"]);
    expect(sends).toHaveLength(treated.size);
    expect(new Set(sends.map((s) => s.customerId))).toEqual(treated);
    const audit = await verifyAuditLog(db);
    expect(audit, JSON.stringify(audit.break)).toMatchObject({ ok: true });

    // The simulated customers respond to what was delivered; their orders come back through ingestion.
    const windowEnd = new Date(activation.measureAt);
    const meta = new Map(messages.map((m) => [m.message_id, m]));
    const loads = await sim.respond(
      windowEnd,
      outbox.messages.map((m) => ({
        messageId: m.messageId,
        customerId: m.customerId,
        channel: m.channel,
        campaignId: m.campaignId,
        sentAt: m.sentAt,
        strategy: meta.get(m.messageId)!.strategy as Strategy,
        offerDepth: Number(meta.get(m.messageId)!.offer_depth),
      })),
    );
    expect(loads.find((l) => l.kind === "orders")!.inserted).toBeGreaterThan(0);

    // The window closes: the delayed measurement job is due; the worker measures and learns.
    clock.set(windowEnd.getTime() + 1_000);
    const measureJob = await runner.queue("measure").getJob(jobIds.measure(cycleId));
    await measureJob!.promote();
    const measureState = await waitUntil(
      () => runner.queue("measure").getJobState(jobIds.measure(cycleId)),
      (s) => s === "completed" || s === "failed",
      { timeoutMs: 60_000, what: "the measurement job", intervalMs: 200 },
    );
    const finishedJob = await runner.queue("measure").getJob(jobIds.measure(cycleId));
    expect(measureState, finishedJob?.failedReason).toBe("completed");
    expect(finishedJob!.returnvalue).toBe("done");

    const final = await service.get(cycleId);
    expect(final.state.status).toBe("done");
    expect(final.waiting).toBeNull();
    const groups = final.state.measurement!.groups as { group: string; treatedCount: number; holdoutCount: number }[];
    const segmentNames = new Map(final.state.refresh!.segments.map((s) => [s.segmentId, s.name]));
    const expectedGroups = final.state
      .plan!.segments.filter((s) => s.contacts > 0)
      .map((s) => `${segmentNames.get(s.segmentId)} × ${s.strategy}`);
    expect(groups.map((g) => g.group)).toEqual(expect.arrayContaining([...new Set(expectedGroups), "all campaigns"]));
    const all = groups.find((g) => g.group === "all campaigns")!;
    expect(all.treatedCount).toBe(activation.treated);
    expect(all.holdoutCount).toBe(activation.holdout);
    expect(final.state.measurement!.headline.length).toBeGreaterThan(0);
    expect(await auditEntries(db, cycleId, ["measurement"])).toHaveLength(1);
    const { rows } = await db.pool.query<{ status: string }>("SELECT status FROM cycles WHERE cycle_id = $1", [cycleId]);
    expect(rows[0]!.status).toBe("done");
    expect(await verifyAuditLog(db)).toMatchObject({ ok: true });
  }, 180_000);
});
