import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Connector, DeliveryResult, OutboundMessage } from "../../connectors/connector.js";
import { FileOutboxConnector } from "../../connectors/file-outbox.js";
import { ManualClock } from "../../core/clock.js";
import { verifyAuditLog } from "../../guardrails/audit-verify.js";
import { DEMO_SETTINGS, setDemoPolicy } from "../demo.js";
import { messageIdsOfSendJob } from "../jobs/types.js";
import { activateShard } from "./activation-shard.js";
import { sendJob } from "./delivery.js";
import { auditEntries, messagesOf, readOutbox, RecordingRunner, testConfig, type RecordedJob } from "./testing/cycle-test-kit.js";
import { useSimulatedWorld } from "./testing/world-fixture.js";
import { createCycleRuntime } from "../runtime.js";

const DAY = 86_400_000;

/** A file outbox whose process "dies" part-way through a batch: the first `dieAfter` lines reach the file, then the call throws. */
class DyingOutbox implements Connector {
  readonly name = "dying-outbox";
  readonly inner: FileOutboxConnector;
  dieAfter: number | undefined;

  constructor(file: string, dieAfter: number | undefined) {
    this.inner = new FileOutboxConnector({ path: file });
    this.dieAfter = dieAfter;
  }

  deliver(message: OutboundMessage): Promise<DeliveryResult> {
    return this.inner.deliver(message);
  }

  async deliverMany(messages: readonly OutboundMessage[]): Promise<DeliveryResult[]> {
    if (this.dieAfter === undefined) return this.inner.deliverMany(messages);
    await this.inner.deliverMany(messages.slice(0, this.dieAfter));
    this.dieAfter = undefined;
    throw new Error("worker killed mid-batch");
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

type SendData = { cycleId: string; campaignId: string; messageIds?: string[] };
const idsOf = (data: unknown) => [...messageIdsOfSendJob(data as SendData)];

describe("send jobs carry batches of messages, each sent exactly once (real PostgreSQL)", () => {
  const world = useSimulatedWorld({ customers: 500, seed: 41 });
  const clock = new ManualClock(new Date(0));
  let cycleId: string;
  let shards: RecordedJob[];
  let sends: RecordedJob[];

  /** A runtime of its own (its own send groups and connector), like another worker process on the same database. */
  const workerWith = async (connector: Connector) =>
    (await createCycleRuntime(testConfig(), { db: world.db, runner: new RecordingRunner(), clock, connector })).deps;

  beforeAll(async () => {
    // One cycle planned, approved and activated; its send jobs recorded and not run.
    clock.set(world.sim.asOf.getTime());
    const runner = new RecordingRunner();
    const { deps, service } = await createCycleRuntime(testConfig(), {
      db: world.db,
      runner,
      clock,
      connector: new FileOutboxConnector({ path: path.join(world.outDir, "unused.jsonl") }),
    });
    await setDemoPolicy(world.db);
    const started = await service.start({ requestedBy: "ann", asOf: world.sim.asOf, settings: DEMO_SETTINGS });
    expect(started.state.status).toBe("activated");
    cycleId = started.cycleId;
    clock.set(world.sim.asOf.getTime() + 3 * DAY);
    shards = runner.jobs.filter((j) => j.queue === "activation");
    for (const job of shards) await activateShard(deps, job.data as Parameters<typeof activateShard>[1]);
    sends = runner.jobs.filter((j) => j.queue.startsWith("send-"));
  }, 180_000);

  it("activation hands a shard's messages to the send queues in batches: fewer jobs than messages, each message in one batch, the same batches on a re-run", async () => {
    const messages = await messagesOf(world.db, cycleId);
    const batched = sends.flatMap((j) => idsOf(j.data));
    expect(batched.sort()).toEqual(messages.map((m) => m.message_id).sort());
    // One batch per shard and send time (the plan gives customers their own hour, so small worlds make small batches).
    expect(sends.length).toBeLessThan(messages.length);
    expect(sends.every((j) => (j.data as SendData).messageIds !== undefined)).toBe(true);
    // A re-run of every shard (a retried activation job) cuts the same batches, under the same job ids.
    const rerun = new RecordingRunner();
    const deps = { ...(await workerWith(new FileOutboxConnector({ path: path.join(world.outDir, "unused-2.jsonl") }))), runner: rerun };
    for (const job of shards) await activateShard(deps, job.data as Parameters<typeof activateShard>[1]);
    expect(rerun.jobs.map((j) => [j.jobId, idsOf(j.data)])).toEqual(sends.map((j) => [j.jobId, idsOf(j.data)]));
  }, 120_000);

  it("a batch whose worker dies mid-batch: nothing marked or audited; the retry sends the rest, dedupes the first half, records each once", async () => {
    const db = world.db;
    const file = path.join(world.outDir, "dying.jsonl");
    const job = [...sends].sort((a, b) => idsOf(b.data).length - idsOf(a.data).length)[0]!;
    const ids = idsOf(job.data);
    expect(ids.length).toBeGreaterThan(1);
    const half = Math.floor(ids.length / 2);
    const connector = new DyingOutbox(file, half);
    const deps = await workerWith(connector);

    // The first attempt: half the batch reaches the outbox, then the worker "dies".
    await expect(sendJob(deps, job.data as SendData)).rejects.toThrow(/worker killed mid-batch/);
    const afterDeath = new Map((await messagesOf(db, cycleId)).map((m) => [m.message_id, m.status]));
    expect(ids.every((id) => afterDeath.get(id) === "queued")).toBe(true);
    expect((await auditEntries(db, cycleId, ["send"])).filter((e) => ids.includes(e.entry.messageId as string))).toEqual([]);
    expect((await readOutbox(file)).messages).toHaveLength(half);

    // The retry (BullMQ's, or the sweeper's): every message once in the outbox, marked sent, one send entry each.
    expect(await sendJob(deps, job.data as SendData)).toBe(`${ids.length} delivered`);
    const lines = (await readOutbox(file)).messages;
    expect(lines.map((m) => m.messageId).sort()).toEqual([...ids].sort());
    const after = new Map((await messagesOf(db, cycleId)).map((m) => [m.message_id, m.status]));
    expect(ids.every((id) => after.get(id) === "sent")).toBe(true);
    const entries = (await auditEntries(db, cycleId, ["send"])).filter((e) => ids.includes(e.entry.messageId as string));
    expect(entries.map((e) => e.entry.messageId).sort()).toEqual([...ids].sort());
    // The retry's sends went into the chain as one customer set: one link (one seq) for all of them.
    expect(new Set(entries.map((e) => e.seq)).size).toBe(1);
    expect(entries.every((e) => e.customerId !== null && e.entry.channel !== undefined)).toBe(true);
    // Run once more: all found sent, nothing delivered.
    expect(await sendJob(deps, job.data as SendData)).toBe(`${ids.length} already sent`);
    expect((await readOutbox(file)).messages).toHaveLength(ids.length);
    expect(await verifyAuditLog(db)).toMatchObject({ ok: true });
    await connector.close();
  }, 120_000);

  it("two workers given overlapping batches at once: each message delivered by one of them, marked and audited once", async () => {
    const db = world.db;
    const files = [path.join(world.outDir, "worker-a.jsonl"), path.join(world.outDir, "worker-b.jsonl")];
    const connectors = files.map((f) => new FileOutboxConnector({ path: f }));
    const [a, b] = await Promise.all(connectors.map((c) => workerWith(c)));
    const queued = new Set((await messagesOf(db, cycleId)).filter((m) => m.status === "queued").map((m) => m.message_id));
    const ids = sends.flatMap((j) => idsOf(j.data)).filter((id) => queued.has(id));
    expect(ids.length).toBeGreaterThan(20);
    const third = Math.floor(ids.length / 3);
    const campaignId = (sends[0]!.data as SendData).campaignId;
    // Worker A takes the first two thirds, worker B the last two: the middle third is in both, at the same time.
    const jobA: SendData = { cycleId, campaignId, messageIds: ids.slice(0, 2 * third) };
    const jobB: SendData = { cycleId, campaignId, messageIds: ids.slice(third) };
    const [ra, rb] = await Promise.all([sendJob(a!, jobA), sendJob(b!, jobB)]);
    expect(`${ra}; ${rb}`).toMatch(/already sent/);
    const lines = [...(await readOutbox(files[0]!)).messages, ...(await readOutbox(files[1]!)).messages];
    expect(lines.map((m) => m.messageId).sort()).toEqual([...ids].sort());
    const after = new Map((await messagesOf(db, cycleId)).map((m) => [m.message_id, m.status]));
    expect(ids.every((id) => after.get(id) === "sent")).toBe(true);
    const entries = (await auditEntries(db, cycleId, ["send"])).filter((e) => ids.includes(e.entry.messageId as string));
    expect(entries.map((e) => e.entry.messageId).sort()).toEqual([...ids].sort());
    expect(await verifyAuditLog(db)).toMatchObject({ ok: true });
    for (const c of connectors) await c.close();
  }, 120_000);
});
