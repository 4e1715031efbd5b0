import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { FileOutboxConnector } from "../../connectors/file-outbox.js";
import { ManualClock } from "../../core/clock.js";
import { loadConfig } from "../../core/config.js";
import { verifyAuditLog } from "../../guardrails/audit-verify.js";
import { createTestDb, type TestDb } from "../../store/test-db.js";
import { DEMO_SETTINGS, setDemoPolicy } from "../demo.js";
import { BullmqRunner } from "../jobs/bullmq-runner.js";
import { exitOf, watchOutput } from "../jobs/test-process.js";
import { createTestRedis, type TestRedis } from "../jobs/test-redis.js";
import { messageIdsOfSendJob, SEND_QUEUES, type QueueName } from "../jobs/types.js";
import { activateShard } from "./activation-shard.js";
import { sendMessage } from "./delivery.js";
import {
  armsOf,
  auditEntries,
  jobCounts,
  messagesOf,
  pendingJobs,
  readOutbox,
  RecordingRunner,
  sentCount,
  testConfig,
  waitUntil,
} from "./testing/cycle-test-kit.js";
import { loadSimulatedWorld, type SimulatedWorld } from "./testing/simulated-world.js";
import { createCycleRuntime } from "../runtime.js";

const workerScript = fileURLToPath(new URL("./testing/send-worker-process.ts", import.meta.url));
const DAY = 86_400_000;

describe("sending survives a SIGKILLed worker exactly once (real PostgreSQL and Redis, child processes)", () => {
  let testDb: TestDb;
  let redis: TestRedis;
  let sim: SimulatedWorld;
  let outDir: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    testDb = await createTestDb("postgres");
    redis = await createTestRedis();
    outDir = await mkdtemp(path.join(tmpdir(), "pulse-cycle-crash-"));
    sim = await loadSimulatedWorld(testDb.db, { customers: 500, seed: 23, months: 6 });
  }, 120_000);

  afterEach(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });

  afterAll(async () => {
    await redis?.cleanup();
    await sim?.cleanup();
    await testDb?.drop();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  }, 60_000);

  function startWorkerProcess(options: Record<string, unknown>) {
    const child = spawn(process.execPath, ["--import", "tsx", workerScript, JSON.stringify(options)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    const exited = exitOf(child);
    const out = watchOutput(child);
    const err = watchOutput(child, "stderr");
    const ready = out.waitFor(/^ready$/m, 60_000).catch((e: Error) => Promise.reject(new Error(`${e.message}\nstderr:\n${err.text}`)));
    return { child, exited, out, err, ready };
  }

  it("after a SIGKILL mid-send, a new worker finishes: one outbox line and one message row per treated customer", async () => {
    const db = testDb.db;
    const outbox = path.join(outDir, "outbox.jsonl");

    // Plan and approve in this process; the runner only enqueues, so activation waits in Redis.
    const runner = new BullmqRunner({ connection: redis.connection, prefix: redis.prefix });
    const { service } = await createCycleRuntime(testConfig(), {
      db,
      runner,
      clock: new ManualClock(sim.asOf),
      connector: new FileOutboxConnector({ path: path.join(outDir, "unused.jsonl") }),
    });
    await setDemoPolicy(db);
    const started = await service.start({ requestedBy: "ann", asOf: sim.asOf, settings: DEMO_SETTINGS });
    expect(started.waiting?.kind).toBe("attribution_window");
    const { cycleId } = started;
    const activation = started.state.activation!;
    expect(activation.treated).toBeGreaterThan(50);

    const options = {
      databaseUrl: loadConfig().PULSE_TEST_DATABASE_URL,
      schema: db.schema,
      redisUrl: redis.url,
      prefix: redis.prefix,
      outbox,
      now: new Date(sim.asOf.getTime() + 2 * DAY + 3_600_000).toISOString(),
    };

    // First worker: killed without warning once some, but not all, messages are out.
    const first = startWorkerProcess(options);
    await first.ready;
    const killAt = Math.max(10, Math.floor(activation.treated / 4));
    await waitUntil(
      () => sentCount(db, cycleId),
      (n) => n >= killAt,
      { timeoutMs: 60_000, what: `${killAt} messages sent`, intervalMs: 25 },
    );
    first.child.kill("SIGKILL");
    expect(await first.exited).toEqual({ code: null, signal: "SIGKILL" });
    const sentAtKill = await sentCount(db, cycleId);
    const linesAtKill = (await readOutbox(outbox)).messages.length;
    expect(sentAtKill).toBeLessThan(activation.treated);
    // A message can be in the outbox and not yet marked sent (killed between the two), never the reverse.
    expect(linesAtKill).toBeGreaterThanOrEqual(sentAtKill);

    // Second worker: takes over the killed worker's stalled jobs and the rest of the queue.
    const second = startWorkerProcess(options);
    await second.ready;
    await waitUntil(
      () => sentCount(db, cycleId),
      (n) => n >= activation.treated,
      { timeoutMs: 90_000, what: `all ${activation.treated} messages sent`, intervalMs: 200 },
    );
    const queues: QueueName[] = ["activation", ...SEND_QUEUES];
    const counts = await waitUntil(
      () => jobCounts(runner, queues),
      (cs) => pendingJobs(cs) === 0,
      { timeoutMs: 60_000, what: "the activation and send queues to drain", intervalMs: 200 },
    );
    expect([...counts.values()].reduce((n, c) => n + c.failed, 0)).toBe(0);
    expect(counts.get("activation")!.completed).toBe(activation.shards);
    // Send jobs carry batches: the completed ones cover every treated customer's message once.
    const completedSends = (await Promise.all(SEND_QUEUES.map((q) => runner.queue(q).getCompleted(0, -1)))).flat();
    const sentByJobs = completedSends.flatMap((j) => messageIdsOfSendJob(j.data as { messageId?: string; messageIds?: string[] }));
    expect(sentByJobs).toHaveLength(activation.treated);
    expect(new Set(sentByJobs).size).toBe(activation.treated);
    expect(completedSends.length).toBeLessThan(activation.treated);
    second.child.kill("SIGTERM");
    expect(await second.exited).toEqual({ code: 0, signal: null });
    const deduped = Number(/closed deduped=(\d+)/.exec(second.out.text)?.[1] ?? "NaN");
    expect(deduped).toBeGreaterThanOrEqual(0);

    // Exactly once: per dedupe key in the outbox, per (cycle, campaign, customer, channel) in the store.
    const arms = await armsOf(db, activation.experimentId);
    const treated = new Set([...arms].filter(([, arm]) => arm === "treatment").map(([id]) => id));
    const holdout = new Set([...arms].filter(([, arm]) => arm !== "treatment").map(([id]) => id));
    expect(treated.size).toBe(activation.treated);

    const lines = (await readOutbox(outbox)).messages;
    expect(lines).toHaveLength(activation.treated);
    expect(new Set(lines.map((m) => m.dedupeKey)).size).toBe(lines.length);
    expect(new Set(lines.map((m) => m.customerId))).toEqual(treated);
    expect(lines.filter((m) => holdout.has(m.customerId))).toEqual([]);

    const messages = await messagesOf(db, cycleId);
    expect(messages).toHaveLength(activation.treated);
    expect(messages.every((m) => m.status === "sent")).toBe(true);
    expect(new Set(messages.map((m) => `${cycleId}|${m.campaign_id}|${m.customer_id}|${m.channel}`)).size).toBe(messages.length);
    expect(messages.filter((m) => holdout.has(m.customer_id))).toEqual([]);
    expect(new Set(lines.map((m) => m.messageId))).toEqual(new Set(messages.map((m) => m.message_id)));

    const sends = await auditEntries(db, cycleId, ["send"]);
    expect(sends).toHaveLength(activation.treated);
    expect(await verifyAuditLog(db)).toMatchObject({ ok: true });
    console.info(
      `send-crash: killed after ${sentAtKill}/${activation.treated} sent (${linesAtKill} in the outbox); the second worker re-delivered ${deduped} already-written message(s), deduped by key`,
    );
    await runner.close();
  }, 180_000);

  it("a failure between delivery and the send's audit entry leaves the message queued; the retry sends and audits it once", async () => {
    const db = testDb.db;
    const runner = new RecordingRunner();
    const connector = new FileOutboxConnector({ path: path.join(outDir, "retry-outbox.jsonl") });
    const clock = new ManualClock(sim.asOf);
    const { deps, service } = await createCycleRuntime(testConfig(), { db, runner, clock, connector });
    await setDemoPolicy(db);
    const { cycleId, state } = await service.start({ requestedBy: "ann", asOf: sim.asOf, settings: DEMO_SETTINGS });
    expect(state.status).toBe("activated");
    const shard = runner.jobs.find((j) => j.queue === "activation")!;
    clock.set(sim.asOf.getTime() + 2 * DAY + 3_600_000);
    await activateShard(deps, shard.data as Parameters<typeof activateShard>[1]);
    const [message] = await messagesOf(db, cycleId);
    expect(message).toMatchObject({ status: "queued" });

    // The process "dies" right after the connector accepted the message, before the audit entry commits.
    // (Whichever way the send entry is written, its first write fails.)
    const realAudit = deps.audit;
    let failed = false;
    const failFirstSend = (kinds: readonly { kind: string }[]) => {
      if (!failed && kinds.some((e) => e.kind === "send")) {
        failed = true;
        throw new Error("connection lost");
      }
    };
    deps.audit = {
      append: async (entry) => (failFirstSend([entry]), realAudit.append(entry)),
      appendMany: async (entries) => (failFirstSend(entries), realAudit.appendMany(entries)),
      appendInTransaction: async (client, entries) => (failFirstSend(entries), realAudit.appendInTransaction(client, entries)),
    };
    await expect(sendMessage(deps, { messageId: message!.message_id })).rejects.toThrow("connection lost");
    expect((await messagesOf(db, cycleId)).find((m) => m.message_id === message!.message_id)!.status).toBe("queued");
    expect((await readOutbox(connector.path)).messages.map((m) => m.messageId)).toEqual([message!.message_id]);

    // The job's retry delivers again (the outbox knows the key), marks the message sent and audits it once.
    expect(await sendMessage(deps, { messageId: message!.message_id })).toBe("delivered");
    expect(await sendMessage(deps, { messageId: message!.message_id })).toBe("already sent");
    expect((await messagesOf(db, cycleId)).find((m) => m.message_id === message!.message_id)!.status).toBe("sent");
    expect((await readOutbox(connector.path)).messages.map((m) => m.messageId)).toEqual([message!.message_id]);
    const sends = (await auditEntries(db, cycleId, ["send"])).filter((e) => e.entry.messageId === message!.message_id);
    expect(sends).toHaveLength(1);
    expect(await verifyAuditLog(db)).toMatchObject({ ok: true });
    await connector.close();
  }, 120_000);
});
