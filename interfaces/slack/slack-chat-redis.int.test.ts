import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChatAgent } from "../../agents/chat/agent.js";
import type { ChatAgent } from "../../agents/chat/contract.js";
import { FileOutboxConnector } from "../../connectors/file-outbox.js";
import { ManualClock } from "../../core/clock.js";
import { createLogger } from "../../core/logger.js";
import { verifyAuditLog } from "../../guardrails/audit-verify.js";
import type { Strategy } from "../../sim/index.js";
import { getSlackPlanMessage } from "../../store/slack-messages-repo.js";
import { createTestDb, type TestDb } from "../../store/test-db.js";
import { jobIds } from "../../workflows/cycle/ids.js";
import {
  auditEntries,
  jobCounts,
  messagesOf,
  pendingJobs,
  readOutbox,
  sentCount,
  testConfig,
  waitUntil,
} from "../../workflows/cycle/testing/cycle-test-kit.js";
import { loadSimulatedWorld, type SimulatedWorld } from "../../workflows/cycle/testing/simulated-world.js";
import { BullmqRunner } from "../../workflows/jobs/bullmq-runner.js";
import { startWorkers, type WorkerPool } from "../../workflows/jobs/bullmq-workers.js";
import { createTestRedis, type TestRedis } from "../../workflows/jobs/test-redis.js";
import { SEND_QUEUES, type QueueName } from "../../workflows/jobs/types.js";
import { createCycleRuntime, type CycleRuntime } from "../../workflows/runtime.js";
import { APPROVE_ACTION, planRefSchema } from "./payloads.js";
import { createSlackApp, type SlackApp } from "./slack-app.js";
import { formBody, payloadBody, postToSlackApp } from "./testing/signed-request.js";
import { startSlackStandIn, TEAM_ID, type StandIn } from "./testing/slack-stand-in.js";
import { serveSlackApp } from "./testing/slack-test-server.js";

/**
 * The whole conversation on PostgreSQL + Redis: a marketer's brief in Slack, understood by the real
 * chat agent, runs a real cycle that waits for a person; another user approves with the button;
 * BullMQ workers (a random key prefix of this test's) activate and send; the measurement job
 * measures; the lift readout is posted. Then the audit log is read back.
 */

const SECRET = "chat-redis-signing-secret";
const CHANNEL = "CAPPROVALS";
const DAY = 86_400_000;
const WORK_QUEUES: QueueName[] = ["activation", ...SEND_QUEUES, "measure"];
const FAST_LIMITS = {
  email: { max: 5_000, durationMs: 1_000 },
  sms: { max: 5_000, durationMs: 1_000 },
  push: { max: 5_000, durationMs: 1_000 },
  in_app: { max: 5_000, durationMs: 1_000 },
};

describe("a plan asked for in Slack, approved by someone else, sent by BullMQ workers (real PostgreSQL and Redis)", () => {
  let testDb: TestDb;
  let redis: TestRedis;
  let sim: SimulatedWorld;
  let runner: BullmqRunner;
  let pool: WorkerPool | undefined;
  let outDir: string;
  let connector: FileOutboxConnector;
  let runtime: CycleRuntime;
  let agent: ChatAgent;
  let standIn: StandIn;
  let slack: SlackApp;
  let server: { url: string; close(): Promise<void> };
  let clock: ManualClock;

  beforeAll(async () => {
    testDb = await createTestDb("postgres");
    redis = await createTestRedis();
    runner = new BullmqRunner({ connection: redis.connection, prefix: redis.prefix });
    outDir = await mkdtemp(path.join(tmpdir(), "pulse-slack-redis-"));
    connector = new FileOutboxConnector({ path: path.join(outDir, "outbox.jsonl") });
    sim = await loadSimulatedWorld(testDb.db, { customers: 400, seed: 77, months: 6 });
    clock = new ManualClock(sim.asOf);
    runtime = await createCycleRuntime(testConfig(), { db: testDb.db, runner, clock, connector });
    // With Redis the agent drains nothing: the workers run the jobs.
    agent = await createChatAgent({
      db: testDb.db,
      audit: runtime.deps.audit,
      clock,
      openCycles: async () => ({ service: runtime.service, drain: () => runtime.drain(), close: async () => {} }),
    });
    standIn = await startSlackStandIn();
    slack = await createSlackApp({
      config: {
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_BOT_TOKEN: "xoxb-chat-redis",
        PULSE_SLACK_APPROVALS_CHANNEL: CHANNEL,
        PULSE_SLACK_API_URL: standIn.apiUrl,
        PULSE_SLACK_ROLES: { UMKT: "marketer", UAPP: "approver" },
        PULSE_SLACK_SYNC_MS: 30_000,
      },
      agent,
      service: runtime.service,
      db: testDb.db,
      audit: runtime.deps.audit,
      logger: createLogger("silent"),
      clock,
      clientOptions: { retryConfig: { retries: 0 } },
      syncTimer: false,
    });
    server = await serveSlackApp(slack);
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await slack?.close();
    await agent?.close();
    await pool?.close({ forceAfterMs: 5_000 });
    await runtime?.close();
    await connector?.close();
    await standIn?.close();
    await redis?.cleanup();
    await sim?.cleanup();
    await testDb?.drop();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  }, 60_000);

  let n = 0;
  /** A /pulse request from `user`; resolves with the answer posted to its response URL. */
  async function slash(user: string, text: string): Promise<string> {
    const id = `r${++n}`;
    const body = formBody({
      team_id: TEAM_ID,
      channel_id: "CMARKETING",
      user_id: user,
      command: "/pulse",
      text,
      response_url: standIn.responseUrl(id),
    });
    const res = await postToSlackApp(`${server.url}/slack/events`, body, { secret: SECRET });
    expect(res.status).toBe(200);
    expect(res.ms).toBeLessThan(3_000);
    const [answer] = await standIn.waitFor(`response:${id}`, 1, 120_000);
    await slack.idle();
    return String(answer!.args.text);
  }

  it("runs the brief through plan, approval by another user, sends and the lift readout; the audit tells it", async () => {
    const db = testDb.db;
    // 1. The marketer's brief: a real cycle, waiting for an approver; its plan is posted with buttons.
    const answer = await slash("UMKT", "win back lapsed grocery shoppers at most 15% off");
    expect(answer).toContain("Waiting for approval by someone other than slack:UMKT");
    expect(answer).toContain(`The plan is posted in <#${CHANNEL}>`);
    const [posted] = await standIn.waitFor("chat.postMessage");
    const blocks = posted!.args.blocks as Array<{ type: string; elements?: Array<{ action_id: string; value: string }> }>;
    const ref = planRefSchema.parse(JSON.parse(blocks.find((b) => b.type === "actions")!.elements![0]!.value));
    const waiting = await runtime.service.get(ref.cycleId);
    expect(waiting.waiting?.kind).toBe("approval");
    expect(waiting.state.settings.brief).toMatchObject({ strategy: "winback", category: "grocery", audience: { filters: ["lapsed"] } });
    expect(waiting.state.settings.maxDiscount).toBe(0.15);

    const ts = (await getSlackPlanMessage(db, ref.approvalId))!.ts;

    // 2. The requester's own approval in words is refused; the approver presses Approve.
    expect(await slash("UMKT", "approve")).toMatch(/may not approve/);
    const press = payloadBody({
      type: "block_actions",
      team: { id: TEAM_ID },
      user: { id: "UAPP" },
      api_app_id: "APULSE",
      trigger_id: "trigger-approve",
      container: { type: "message", message_ts: ts, channel_id: CHANNEL },
      channel: { id: CHANNEL },
      message: { ts: ts, type: "message" },
      response_url: standIn.responseUrl("approve"),
      actions: [{ type: "button", action_id: APPROVE_ACTION, block_id: "pulse_decision", value: JSON.stringify(ref), action_ts: "1" }],
    });
    expect((await postToSlackApp(`${server.url}/slack/events`, press, { secret: SECRET })).status).toBe(200);
    await slack.idle();
    const approved = await runtime.service.get(ref.cycleId);
    expect(approved.state.status).toBe("activated");
    expect(approved.state.approval).toMatchObject({ decision: "approved", by: "slack:UAPP" });
    const activation = approved.state.activation!;
    expect(activation.treated).toBeGreaterThan(0);
    // The activation jobs wait in this test's Redis for a worker.
    expect((await runner.queue("activation").getJobCounts("waiting")).waiting).toBe(activation.shards);

    // 3. Past every customer's local send hour, workers start: each treated customer gets one message.
    clock.set(sim.asOf.getTime() + 2 * DAY + 3_600_000);
    pool = startWorkers({
      connection: redis.connection,
      prefix: redis.prefix,
      processors: runtime.processors,
      queues: WORK_QUEUES,
      limits: FAST_LIMITS,
    });
    await pool.ready();
    await waitUntil(
      () => sentCount(db, ref.cycleId),
      (k) => k >= activation.treated,
      { timeoutMs: 90_000, what: `${activation.treated} messages sent`, intervalMs: 200 },
    );
    await waitUntil(
      async () => pendingJobs(await jobCounts(runner, ["activation", ...SEND_QUEUES]), { delayed: false }),
      (left) => left === 0,
      { timeoutMs: 60_000, what: "the send queues to drain", intervalMs: 200 },
    );
    const messages = await messagesOf(db, ref.cycleId);
    expect(messages).toHaveLength(activation.treated);
    expect(messages.every((m) => m.status === "sent")).toBe(true);

    // 4. The customers respond; the delayed measurement job comes due; the worker measures.
    const outbox = await readOutbox(connector.path);
    const meta = new Map(messages.map((m) => [m.message_id, m]));
    const windowEnd = new Date(activation.measureAt);
    await sim.respond(
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
    clock.set(windowEnd.getTime() + 1_000);
    await (await runner.queue("measure").getJob(jobIds.measure(ref.cycleId)))!.promote();
    await waitUntil(
      () => runner.queue("measure").getJobState(jobIds.measure(ref.cycleId)),
      (s) => s === "completed" || s === "failed",
      { timeoutMs: 60_000, what: "the measurement job", intervalMs: 200 },
    );
    const measured = await runtime.service.get(ref.cycleId);
    expect(measured.state.status).toBe("done");

    // 5. The plan's message follows, the lift readout is posted in its thread, and the marketer asks for results.
    const before = standIn.callsOf("chat.postMessage").length;
    await slack.syncOpenPlans();
    const lift = standIn.callsOf("chat.postMessage").slice(before);
    expect(lift).toHaveLength(1);
    expect(String(lift[0]!.args.text)).toContain(measured.state.measurement!.headline);
    const results = await slash("UMKT", "what did the last cycle deliver?");
    expect(results).toContain(`${activation.treated.toLocaleString("en")} messages sent`);

    // 6. The audit: one record per Slack request (the agent's for words, Slack's for the button), the
    // approval by someone other than the requester, one send entry per message, an intact chain.
    const chats = await db.pool.query<{ actor: string; entry: Record<string, unknown>; cycle_id: string | null }>(
      "SELECT actor, entry, cycle_id FROM audit_log WHERE kind = 'chat' ORDER BY seq",
    );
    expect(chats.rows.map((r) => [r.actor, r.entry.via, r.entry.source, r.entry.role, r.entry.intent, r.entry.outcome])).toEqual([
      ["slack:UMKT", "slack", "slash_command", "marketer", "plan_campaign", "done"],
      ["slack:UMKT", "slack", "slash_command", "marketer", "approve", "refused"],
      ["slack:UMKT", "slack", "slash_command", "marketer", "cycle_results", "done"],
    ]);
    expect(chats.rows[0]!.cycle_id).toBe(ref.cycleId);
    const requests = await db.pool.query<{ actor: string; entry: Record<string, unknown> }>(
      "SELECT actor, entry FROM audit_log WHERE kind = 'interface_request' ORDER BY seq",
    );
    expect(requests.rows.map((r) => [r.actor, r.entry.source, r.entry.intent, r.entry.outcome])).toEqual([
      ["slack:UAPP", "approve_button", "approve", "answered"],
    ]);
    expect((await auditEntries(db, ref.cycleId, ["approval"])).map((a) => [a.entry.event, a.actor])).toEqual([
      ["requested", "slack:UMKT"],
      ["approved", "slack:UAPP"],
    ]);
    const sends = await auditEntries(db, ref.cycleId, ["send"]);
    expect(sends.map((s) => s.customerId).sort()).toEqual(messages.map((m) => m.customer_id).sort());
    expect(await auditEntries(db, ref.cycleId, ["measurement"])).toHaveLength(1);
    expect(await verifyAuditLog(db)).toMatchObject({ ok: true });
  }, 300_000);
});
