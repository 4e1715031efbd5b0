import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Connector, DeliveryResult, OutboundMessage } from "../../connectors/connector.js";
import { DeliveryError } from "../../connectors/delivery-errors.js";
import { createSimulatorConnector } from "../../connectors/simulator.js";
import { ManualClock } from "../../core/clock.js";
import type { NewAuditEntry } from "../../guardrails/audit-entries.js";
import { verifyAuditLog } from "../../guardrails/audit-verify.js";
import { whyCustomer } from "../../guardrails/audit-why.js";
import { campaignsOf } from "../../store/cycles-repo.js";
import { insertSuppressionRule } from "../../store/suppression-rules-repo.js";
import { BACKENDS, createTestDb, type TestDb } from "../../store/test-db.js";
import { DEMO_SETTINGS, setDemoPolicy } from "../demo.js";
import { activateShard } from "./activation-shard.js";
import { sendMessage, SendFailedError } from "./delivery.js";
import { auditEntries, messagesOf, RecordingRunner, testConfig } from "./testing/cycle-test-kit.js";
import { loadSimulatedWorld, type SimulatedWorld } from "./testing/simulated-world.js";
import { createCycleRuntime } from "../runtime.js";

const DAY = 86_400_000;

/** The simulator's connector, failing the messages it is told to (retryable), until told otherwise. */
class FlakyConnector implements Connector {
  readonly name = "flaky";
  readonly inner = createSimulatorConnector();
  readonly failing = new Set<string>();
  readonly delivered: string[] = [];

  async deliver(message: OutboundMessage): Promise<DeliveryResult> {
    if (this.failing.has(message.messageId))
      return { status: "failed", attempts: 1, error: new DeliveryError("upstream busy", { httpStatus: 503 }) };
    this.delivered.push(message.messageId);
    return this.inner.deliver(message);
  }
}

for (const backend of BACKENDS) {
  describe(`sends running at the same time go out in groups (${backend})`, () => {
    let testDb: TestDb;
    let sim: SimulatedWorld;

    beforeAll(async () => {
      testDb = await createTestDb(backend);
      sim = await loadSimulatedWorld(testDb.db, { customers: 400, seed: 31, months: 6 });
    }, 120_000);

    afterAll(async () => {
      await sim?.cleanup();
      await testDb?.drop();
    }, 60_000);

    it("one send entry and one status change per message, a withdrawn consent suppressed, a failed delivery failing only its own job", async () => {
      const db = testDb.db;
      const runner = new RecordingRunner();
      const clock = new ManualClock(sim.asOf);
      const connector = new FlakyConnector();
      const { deps, service } = await createCycleRuntime(testConfig(), { db, runner, clock, connector });
      // Count the transactions that record sends.
      const realAudit = deps.audit;
      let sendTransactions = 0;
      deps.audit = {
        append: (entry) => realAudit.append(entry),
        appendMany: (entries) => realAudit.appendMany(entries),
        appendInTransaction: (client, entries: readonly NewAuditEntry[]) => {
          if (entries.some((e) => e.kind === "send")) sendTransactions++;
          return realAudit.appendInTransaction(client, entries);
        },
      };
      await setDemoPolicy(db);
      const { cycleId, state } = await service.start({ requestedBy: "ann", asOf: sim.asOf, settings: DEMO_SETTINGS });
      expect(state.status).toBe("activated");
      clock.set(sim.asOf.getTime() + 2 * DAY);
      for (const job of runner.jobs.filter((j) => j.queue === "activation"))
        await activateShard(deps, job.data as Parameters<typeof activateShard>[1]);
      const messages = await messagesOf(db, cycleId);
      expect(messages.length).toBeGreaterThan(20);
      expect(messages.every((m) => m.status === "queued")).toBe(true);

      // One customer withdraws consent after planning; one message's delivery fails for now.
      const [withdrawn, failing] = messages;
      await db.pool.query(
        "INSERT INTO consents (customer_id, channel, purpose, status, source, recorded_at) VALUES ($1, $2, 'marketing', 'revoked', 'test', $3)",
        [withdrawn!.customer_id, withdrawn!.channel, new Date(clock.now().getTime() - 3_600_000)],
      );
      connector.failing.add(failing!.message_id);
      // A pause created after the plan, on the channel of one more queued message's segment (others of that segment stop too).
      const segmentOf = new Map((await campaignsOf(db, cycleId)).map((c) => [c.campaignId, c.segmentId]));
      const groupOf = (m: (typeof messages)[number]) => `${segmentOf.get(m.campaign_id)}|${m.channel}`;
      const paused = messages.slice(2).find((m) => groupOf(m) !== groupOf(failing!))!;
      const pausedSegment = segmentOf.get(paused.campaign_id)!;
      await insertSuppressionRule(db, {
        ruleId: "r-late",
        channels: [paused.channel],
        segmentId: pausedSegment,
        reason: "pause all until Monday",
        createdBy: "U-ann",
        createdAt: new Date(clock.now().getTime() - 60_000),
        until: new Date(clock.now().getTime() + 5 * DAY),
      });
      const pausedIds = new Set(
        messages
          .filter((m, i) => i !== 0 && m.channel === paused.channel && segmentOf.get(m.campaign_id) === pausedSegment)
          .map((m) => m.message_id),
      );
      expect(pausedIds.has(paused.message_id)).toBe(true);
      const rest = messages.slice(2).filter((m) => !pausedIds.has(m.message_id));
      expect(rest.length).toBeGreaterThan(0);

      const outcomes = await Promise.allSettled(messages.map((m) => sendMessage(deps, { messageId: m.message_id })));
      const byId = new Map(messages.map((m, i) => [m.message_id, outcomes[i]!]));
      expect(byId.get(withdrawn!.message_id)).toEqual({ status: "fulfilled", value: "suppressed" });
      const failed = byId.get(failing!.message_id)!;
      expect(failed.status).toBe("rejected");
      expect((failed as PromiseRejectedResult).reason).toBeInstanceOf(SendFailedError);
      const others = rest.map((m) => byId.get(m.message_id));
      expect([...pausedIds].every((id) => (byId.get(id) as PromiseFulfilledResult<string>).value === "suppressed")).toBe(true);
      expect(others.every((o) => o?.status === "fulfilled" && o.value === "delivered")).toBe(true);
      // Grouped: far fewer send transactions than messages.
      expect(sendTransactions).toBeLessThan(messages.length / 4);

      const after = new Map((await messagesOf(db, cycleId)).map((m) => [m.message_id, m.status]));
      expect(after.get(withdrawn!.message_id)).toBe("suppressed");
      expect(after.get(failing!.message_id)).toBe("queued");
      expect(rest.every((m) => after.get(m.message_id) === "sent")).toBe(true);
      expect([...pausedIds].every((id) => after.get(id) === "suppressed")).toBe(true);
      expect(connector.delivered.some((id) => pausedIds.has(id))).toBe(false);
      expect(connector.delivered).not.toContain(withdrawn!.message_id);

      // The retry of every job: nothing sent twice; the failed message goes out now.
      connector.failing.clear();
      const retried = await Promise.all(messages.map((m) => sendMessage(deps, { messageId: m.message_id })));
      expect(retried[0]).toBe("already suppressed");
      expect(retried[1]).toBe("delivered");
      expect(
        messages.slice(2).every((m, i) => retried[i + 2] === (pausedIds.has(m.message_id) ? "already suppressed" : "already sent")),
      ).toBe(true);
      expect(new Set(connector.delivered).size).toBe(messages.length - 1 - pausedIds.size);

      // One send entry per sent message, with its consent basis; the suppression explained.
      const sends = await auditEntries(db, cycleId, ["send"]);
      expect(sends.map((s) => s.entry.messageId).sort()).toEqual(
        messages
          .slice(1)
          .filter((m) => !pausedIds.has(m.message_id))
          .map((m) => m.message_id)
          .sort(),
      );
      expect(sends.every((s) => (s.entry.consentBasis as { status: string }).status === "granted")).toBe(true);
      const suppressions = (await auditEntries(db, cycleId, ["suppression"])).filter(
        (s) => s.entry.reasonCode === "consent_revoked_before_send",
      );
      expect(suppressions.map((s) => s.customerId)).toEqual([withdrawn!.customer_id]);
      expect(await verifyAuditLog(db)).toMatchObject({ ok: true });

      const why = await whyCustomer(db, rest[0]!.customer_id, { cycleId });
      expect(why.outcome).toBe("sent");
      expect(why.sends.map((s) => s.messageId)).toEqual([rest[0]!.message_id]);
      const whyPaused = await whyCustomer(db, paused.customer_id, { cycleId });
      expect(whyPaused.sends).toEqual([]);
      expect(whyPaused.suppressions.find((s) => s.reasonCode === "paused_before_send")?.reason).toMatch(/U-ann.*rule r-late/);
      const whyWithdrawn = await whyCustomer(db, withdrawn!.customer_id, { cycleId });
      expect(whyWithdrawn.suppressions.some((s) => s.reasonCode === "consent_revoked_before_send")).toBe(true);
    }, 180_000);
  });
}
