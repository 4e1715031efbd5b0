import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Worker } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileOutboxConnector } from "../../connectors/file-outbox.js";
import { ManualClock } from "../../core/clock.js";
import { verifyAuditLog } from "../../guardrails/audit-verify.js";
import { createTestDb, type TestDb } from "../../store/test-db.js";
import { DEMO_SETTINGS, setDemoPolicy } from "../demo.js";
import { BullmqRunner } from "../jobs/bullmq-runner.js";
import { createTestRedis, type TestRedis } from "../jobs/test-redis.js";
import { sendQueueFor } from "../jobs/types.js";
import { jobIds } from "./ids.js";
import { activateShard } from "./activation-shard.js";
import { SWEEP_TOOL, sweepOnce } from "./sweeper.js";
import { armsOf, auditEntries, messagesOf, readOutbox, RecordingRunner, testConfig, waitUntil } from "./testing/cycle-test-kit.js";
import { loadSimulatedWorld, type SimulatedWorld } from "./testing/simulated-world.js";
import { createCycleRuntime } from "../runtime.js";

const DAY = 86_400_000;

/** Audit rows the sweeper wrote (one per sweep that found anything). */
async function sweepRows(testDb: TestDb) {
  const { rows } = await testDb.db.pool.query<{ cycle_id: string | null; entry: { summary: string } }>(
    "SELECT cycle_id, entry FROM audit_log WHERE kind = 'tool_call' AND entry ->> 'tool' = $1 ORDER BY seq",
    [SWEEP_TOOL],
  );
  return rows;
}

describe.each(["postgres", "pglite"] as const)("the sweeper re-drives what the queue dropped (%s)", (backend) => {
  let testDb: TestDb;
  let sim: SimulatedWorld;
  let outDir: string;

  beforeAll(async () => {
    testDb = await createTestDb(backend);
    outDir = await mkdtemp(path.join(tmpdir(), "pulse-sweeper-"));
    sim = await loadSimulatedWorld(testDb.db, { customers: 300, seed: 31, months: 6 });
  }, 180_000);

  afterAll(async () => {
    await sim?.cleanup();
    await testDb?.drop();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  }, 60_000);

  it("activation jobs that vanished: the sweep activates the shards and sends each treated customer exactly once, audited as one set", async () => {
    const db = testDb.db;
    // The runner records jobs and never runs them: every activation and send job is "lost".
    const runner = new RecordingRunner();
    const connector = new FileOutboxConnector({ path: path.join(outDir, `vanished-${backend}.jsonl`) });
    const clock = new ManualClock(sim.asOf);
    const { deps, service } = await createCycleRuntime(testConfig(), { db, runner, clock, connector });
    await setDemoPolicy(db);
    const { cycleId, state } = await service.start({ requestedBy: "ann", asOf: sim.asOf, settings: DEMO_SETTINGS });
    expect(state.status).toBe("activated");
    const treatedCount = state.activation!.treated;
    expect(treatedCount).toBeGreaterThan(10);
    expect(await messagesOf(db, cycleId)).toEqual([]);
    clock.set(sim.asOf.getTime() + 2 * DAY + 3_600_000);

    // Within the grace (the cycle was activated a moment ago) nothing is touched, nothing audited.
    const early = await sweepOnce(deps, { graceMs: 3_600_000 });
    expect(early).toMatchObject({ activationShards: 0, overdue: 0, sent: 0 });
    expect(await sweepRows(testDb)).toEqual([]);

    const swept = await sweepOnce(deps, { graceMs: 0 });
    expect(swept.activationShards).toBeGreaterThan(0);
    expect(swept.messagesCreated).toBe(treatedCount);
    expect(swept.overdue).toBe(treatedCount);
    expect(swept.sent).toBe(treatedCount);
    expect(swept).toMatchObject({ failed: 0, errors: [], cycles: [cycleId] });

    const arms = await armsOf(db, state.activation!.experimentId);
    const treated = new Set([...arms].filter(([, a]) => a === "treatment").map(([id]) => id));
    const messages = await messagesOf(db, cycleId);
    expect(messages.every((m) => m.status === "sent")).toBe(true);
    expect(new Set(messages.map((m) => m.customer_id))).toEqual(treated);
    const lines = (await readOutbox(connector.path)).messages;
    expect(lines).toHaveLength(treatedCount);
    expect(new Set(lines.map((l) => l.dedupeKey)).size).toBe(treatedCount);
    expect(lines.filter((l) => !treated.has(l.customerId))).toEqual([]);
    expect(await auditEntries(db, cycleId, ["send"])).toHaveLength(treatedCount);

    // One audit row for the whole sweep, with its counts; a second sweep finds nothing and writes nothing.
    const rows = await sweepRows(testDb);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.cycle_id).toBe(cycleId);
    expect(rows[0]!.entry.summary).toContain(`${treatedCount} sent`);
    expect(await sweepOnce(deps, { graceMs: 0 })).toMatchObject({ activationShards: 0, overdue: 0, sent: 0 });
    expect(await sweepRows(testDb)).toHaveLength(1);
    expect(await verifyAuditLog(db)).toMatchObject({ ok: true });
    await connector.close();
  }, 180_000);
});

describe("a send job BullMQ fails as stalled is sent exactly once by the sweeper (real Redis)", () => {
  let testDb: TestDb;
  let redis: TestRedis;
  let sim: SimulatedWorld;
  let outDir: string;

  beforeAll(async () => {
    testDb = await createTestDb("postgres");
    redis = await createTestRedis();
    outDir = await mkdtemp(path.join(tmpdir(), "pulse-sweeper-stalled-"));
    sim = await loadSimulatedWorld(testDb.db, { customers: 200, seed: 37, months: 6 });
  }, 180_000);

  afterAll(async () => {
    await redis?.cleanup();
    await sim?.cleanup();
    await testDb?.drop();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  }, 60_000);

  it("the job's holder dies, BullMQ's stalled check fails it, the message stays queued; the sweep sends it once", async () => {
    const db = testDb.db;
    const recording = new RecordingRunner();
    const connector = new FileOutboxConnector({ path: path.join(outDir, "outbox.jsonl") });
    const clock = new ManualClock(sim.asOf);
    const { deps, service } = await createCycleRuntime(testConfig(), { db, runner: recording, clock, connector });
    await setDemoPolicy(db);
    const { cycleId, state } = await service.start({ requestedBy: "ann", asOf: sim.asOf, settings: DEMO_SETTINGS });
    clock.set(sim.asOf.getTime() + 2 * DAY + 3_600_000);
    for (const job of recording.jobs.filter((j) => j.queue === "activation"))
      await activateShard(deps, job.data as Parameters<typeof activateShard>[1]);
    const messages = await messagesOf(db, cycleId);
    expect(messages.length).toBe(state.activation!.treated);
    const victim = messages[0]!;

    // The victim's send job goes to Redis; a worker takes it and dies holding it (its lock is never renewed).
    const runner = new BullmqRunner({ connection: redis.connection, prefix: redis.prefix });
    const queue = sendQueueFor(victim.channel as "email");
    await runner.enqueue(
      queue,
      { cycleId, campaignId: victim.campaign_id, customerId: victim.customer_id, messageId: victim.message_id },
      { jobId: jobIds.send(victim.message_id) },
    );
    // Workers that take the job and die holding it (the lock is never renewed); another worker's stalled
    // checker (BullMQ's own script, default maxStalledCount 1) puts it back once, and the second time
    // marks it to fail: the next worker to pick it fails it without running it.
    const opts = { connection: redis.connection, prefix: redis.prefix, autorun: false, lockDuration: 500, stalledInterval: 300 };
    const dying = new Worker(queue, null, { ...opts, skipLockRenewal: true });
    const checker = new Worker(queue, null, opts);
    checker.on("error", () => {});
    void checker.startStalledCheckTimer();
    let takes = 0;
    const marked = await waitUntil(
      async () => {
        const job = await runner.queue(queue).getJob(jobIds.send(victim.message_id));
        const jobState = await job?.getState();
        if (jobState === "waiting" && !job?.deferredFailure && (await dying.getNextJob(`dead-worker-${takes}`))?.id === job?.id) takes++;
        return { state: jobState, deferred: job?.deferredFailure, takes };
      },
      (j) => j.state === "waiting" && j.deferred !== undefined,
      { timeoutMs: 30_000, what: "the stall limit to be reached", intervalMs: 100 },
    );
    expect(marked.takes).toBe(2);
    let ran = 0;
    const next = new Worker(queue, async () => ran++, { connection: redis.connection, prefix: redis.prefix });
    const failed = await waitUntil(
      async () => {
        const job = await runner.queue(queue).getJob(jobIds.send(victim.message_id));
        return { state: await job?.getState(), reason: job?.failedReason };
      },
      (j) => j.state === "failed",
      { timeoutMs: 20_000, what: "the stalled job to fail", intervalMs: 100 },
    );
    await next.close();
    expect(ran).toBe(0);
    expect(failed.reason).toMatch(/stalled more than allowable limit/);
    await checker.close();
    await dying.close(true);
    expect((await messagesOf(db, cycleId)).find((m) => m.message_id === victim.message_id)!.status).toBe("queued");
    // Enqueueing again with the deterministic id is a no-op while the failed job is kept: only a sweep helps.
    await runner.enqueue(
      queue,
      { cycleId, campaignId: victim.campaign_id, customerId: victim.customer_id, messageId: victim.message_id },
      { jobId: jobIds.send(victim.message_id) },
    );
    expect(
      await runner
        .queue(queue)
        .getJob(jobIds.send(victim.message_id))
        .then((j) => j?.getState()),
    ).toBe("failed");

    const swept = await sweepOnce(deps, { graceMs: 0 });
    expect(swept).toMatchObject({ overdue: messages.length, sent: messages.length, failed: 0, activationShards: 0 });
    const lines = (await readOutbox(connector.path)).messages;
    expect(lines.filter((l) => l.messageId === victim.message_id)).toHaveLength(1);
    expect(new Set(lines.map((l) => l.dedupeKey)).size).toBe(lines.length);
    expect(lines).toHaveLength(messages.length);
    expect((await messagesOf(db, cycleId)).every((m) => m.status === "sent")).toBe(true);
    expect((await auditEntries(db, cycleId, ["send"])).filter((e) => e.entry.messageId === victim.message_id)).toHaveLength(1);
    expect(await sweepOnce(deps, { graceMs: 0 })).toMatchObject({ overdue: 0, sent: 0 });
    await runner.close();
    await connector.close();
  }, 180_000);
});
